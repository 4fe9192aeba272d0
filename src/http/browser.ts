// The browser surface: /authorize, the login pages (/u/login, /u/signup, /u/consent), device activation (/activate) and logout. HTML answers,
// and every error an error page (or a redirect to the client, once its redirect_uri is verified).
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { consentRoutes } from '../login/consent.js';
import { deviceRoutes } from '../login/device.js';
import { type PageDeps, sendErrorPage } from '../login/pages.js';
import { passwordlessPageRoutes } from '../login/passwordless.js';
import { loginRoutes } from '../login/routes.js';
import { ticketRoutes } from '../login/tickets.js';
import type { InteractionDeps } from '../protocol/authorize/interaction.js';
import { sendSignupVerification } from '../protocol/user-tickets.js';
import { databaseConnectionsOf } from '../tenant-file/connections.js';
import { authorizeRoutes } from './authorize.js';
import { logoutRoutes } from './logout.js';
import { passwordlessLinkRoutes } from './passwordless-link.js';
import { RETRY_AFTER_SECONDS, type StorageHealth } from './storage-health.js';
import type { SurfaceDeps } from './surface.js';

type BrowserDeps = Pick<
  SurfaceDeps,
  | 'config'
  | 'store'
  | 'keyring'
  | 'csrfKey'
  | 'passwordlessKey'
  | 'passwords'
  | 'renderer'
  | 'storage'
  | 'audit'
  | 'now'
  | 'messages'
>;

export function browserSurface(deps: BrowserDeps): FastifyPluginAsync {
  const { config, store, keyring, csrfKey, passwords, now } = deps;
  const pages: PageDeps = { store, renderer: deps.renderer };
  const secureCookies = config.issuer.startsWith('https:');
  const interaction: InteractionDeps = {
    stores: store,
    keyring,
    issuer: config.issuer,
    now,
    databaseConnections: async (clientId: string) => databaseConnectionsOf(store, clientId),
    pendingLogins: { perIp: config.maxPendingLoginsPerIp, perBrowser: config.maxPendingLoginsPerBrowser },
  };
  return async (browser) => {
    browser.removeAllContentTypeParsers();
    await browser.register(cookie);
    await browser.register(formbody);
    browser.setErrorHandler(browserErrorHandler(pages, deps.storage));
    authorizeRoutes(browser, { ...pages, store, interaction, now, secureCookies });
    const mail = { store, messages: deps.messages, issuer: config.issuer, now };
    loginRoutes(browser, {
      ...pages,
      store,
      csrfKey,
      secureCookies,
      passwords,
      audit: deps.audit,
      now,
      afterSignup: (user, client) => sendSignupVerification(mail, user, client),
    });
    ticketRoutes(browser, { ...pages, ...mail, csrfKey, secureCookies, passwords, audit: deps.audit });
    passwordlessPageRoutes(browser, {
      ...pages,
      ...mail,
      csrfKey,
      secureCookies,
      passwordlessKey: deps.passwordlessKey,
      audit: deps.audit,
    });
    consentRoutes(browser, { ...pages, store, csrfKey, secureCookies, now, interaction });
    deviceRoutes(browser, {
      ...pages,
      store,
      csrfKey,
      secureCookies,
      now,
      activation: { ...interaction, stores: store },
    });
    passwordlessLinkRoutes(browser, {
      ...pages,
      store,
      interaction,
      passwordlessKey: deps.passwordlessKey,
      audit: deps.audit,
      secureCookies,
      now,
    });
    logoutRoutes(browser, { ...pages, store, keyring, issuer: config.issuer, secureCookies, audit: deps.audit });
  };
}

function browserErrorHandler(pages: PageDeps, storage: StorageHealth) {
  return async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500)
      return sendErrorPage(reply, pages, status, 'The request could not be read.', 'Invalid request');
    if (storage.report(error, request.log)) {
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      return sendErrorPage(
        reply,
        pages,
        503,
        'The service is temporarily unavailable. Try again later.',
        'Service unavailable',
      );
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendErrorPage(reply, pages, 500, 'An unexpected error occurred. Try again later.');
  };
}
