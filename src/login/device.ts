// /activate and /u/device/*: the device activation pages (RFC 8628 §3.3; Auth0 docs: "Device Authorization
// Flow"). The code page is /activate itself (200, signed in or not) and its form posts back there, bound to a
// CSRF cookie of its own (path /activate) that also names the browser for the limit on wrong codes. The flow
// is drawn in protocol/device-activation.ts; this file only renders and redirects.
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sha256 } from '../crypto/hash.js';
import { transactionOwners } from '../protocol/authorize/pending-logins.js';
import { AuthorizeError } from '../protocol/authorize/request.js';
import {
  type ActivationDeps,
  CONFIRM_PAGE,
  decideActivation,
  enterUserCode,
  pendingActivation,
} from '../protocol/device-activation.js';
import { formatUserCode, normaliseUserCode } from '../protocol/device.js';
import { OAuthError } from '../protocol/errors.js';
import { findSession } from '../protocol/session.js';
import { type CsrfCookie, formCsrfToken, formIsGenuine } from './csrf.js';
import { sendErrorPage, sendInvalidFormPage, sendPage } from './pages.js';
import type { LoginDeps } from './routes.js';
import { SESSION_COOKIE } from './session-cookie.js';

const CODE_PAGE = '/activate';
const CODE_PAGE_COOKIE: CsrfCookie = { name: 'gatehouse_activate', path: CODE_PAGE };
/** Auth0's words for a code that names no pending device (Universal Login's device-code-activation screen). */
export const WRONG_USER_CODE = 'Invalid or expired user code';
export const TOO_MANY_CODES =
  'Too many codes were entered from this browser or network. Wait a few minutes and try again.';

type DeviceRequest = FastifyRequest<{
  Querystring: { user_code?: string; state?: string };
  Body: { user_code?: string; action?: string; _csrf?: string };
}>;

type DeviceDeps = Pick<LoginDeps, 'store' | 'renderer' | 'csrfKey' | 'secureCookies' | 'now'> & {
  activation: ActivationDeps;
};

/** What to show in the code field: the code as XXXX-XXXX when it is one, else what was typed (short). */
function shownCode(value: unknown): string | undefined {
  const code = normaliseUserCode(value);
  if (code) return formatUserCode(code);
  return typeof value === 'string' ? value.trim().slice(0, 20) : undefined;
}

export function deviceRoutes(app: FastifyInstance, deps: DeviceDeps) {
  const { store, activation } = deps;
  const session = async (request: FastifyRequest) =>
    findSession(store.sessions, request.cookies[SESSION_COOKIE], await store.tenant.get(), deps.now());
  const stateOf = (request: DeviceRequest) => {
    const id = request.query.state;
    return typeof id === 'string' && id.length <= 100 ? id : undefined;
  };

  const codePage = (request: DeviceRequest, reply: FastifyReply, status: number, userCode?: unknown, error?: string) =>
    sendPage(reply, deps, status, {
      screen: 'device-code',
      form: {
        action: CODE_PAGE,
        csrf: formCsrfToken(request, reply, deps, 'device-code', CODE_PAGE_COOKIE),
        userCode: shownCode(userCode),
        error,
      },
    });

  /** The confirmation's device sign-in; undefined when it is over (the transaction or the code). */
  async function load(request: DeviceRequest) {
    const id = stateOf(request);
    if (!id) return undefined;
    const signedIn = await session(request);
    try {
      const pending = await pendingActivation(id, signedIn, activation);
      return pending && { pending, session: signedIn };
    } catch (error) {
      if (error instanceof AuthorizeError) return undefined;
      throw error;
    }
  }

  const toLogin = (reply: FastifyReply, id: string, status: 302 | 303) =>
    reply.header('cache-control', 'no-store').redirect(`/u/login?state=${encodeURIComponent(id)}`, status);

  // verification_uri_complete fills the code in; the person still presses Continue, signs in and confirms.
  app.get(CODE_PAGE, async (request: DeviceRequest, reply) => codePage(request, reply, 200, request.query.user_code));

  app.post(CODE_PAGE, async (request: DeviceRequest, reply) => {
    const body = request.body ?? {};
    if (!formIsGenuine(request, deps, 'device-code', body._csrf, CODE_PAGE_COOKIE))
      return sendInvalidFormPage(reply, deps);
    let entry: Awaited<ReturnType<typeof enterUserCode>>;
    try {
      entry = await enterUserCode(
        {
          code: body.user_code,
          ip: request.ip,
          // A genuine form comes with the CSRF cookie: it names the browser for the tighter limit.
          browser: sha256(request.cookies[CODE_PAGE_COOKIE.name] ?? ''),
          session: await session(request),
          owners: transactionOwners(request.ip, undefined),
        },
        activation,
      );
    } catch (error) {
      if (error instanceof AuthorizeError) {
        reply.headers(error.error.headers);
        return sendErrorPage(reply, deps, error.error.status, error.error.description, 'Too many sign-ins');
      }
      if (error instanceof OAuthError) return sendErrorPage(reply, deps, 400, error.description, 'Invalid request');
      throw error;
    }
    if (entry.outcome === 'throttled') return codePage(request, reply, 429, body.user_code, TOO_MANY_CODES);
    if (entry.outcome === 'wrong') return codePage(request, reply, 400, body.user_code, WRONG_USER_CODE);
    if (entry.outcome === 'sign-in') return toLogin(reply, entry.transactionId, 303);
    return reply
      .header('cache-control', 'no-store')
      .redirect(`${CONFIRM_PAGE}?state=${encodeURIComponent(entry.transactionId)}`, 303);
  });

  app.get(CONFIRM_PAGE, async (request: DeviceRequest, reply) => {
    const loaded = await load(request);
    if (!loaded) return codePage(request, reply, 400, undefined, WRONG_USER_CODE);
    const { pending } = loaded;
    if (!pending.user) return toLogin(reply, pending.transactionId, 302);
    const api = pending.request.audience
      ? await store.resourceServers.getByIdentifier(pending.request.audience)
      : undefined;
    return sendPage(reply, deps, 200, {
      screen: 'device-confirm',
      client: pending.client,
      user: { email: pending.user.email, name: pending.user.name },
      form: {
        action: `${CONFIRM_PAGE}?state=${encodeURIComponent(pending.transactionId)}`,
        csrf: formCsrfToken(request, reply, deps, `device-confirm ${pending.transactionId}`),
        userCode: formatUserCode(pending.userCode),
        scopes: pending.scopes,
        audience: api?.name ?? pending.request.audience,
      },
    });
  });

  app.post(CONFIRM_PAGE, async (request: DeviceRequest, reply) => {
    const loaded = await load(request);
    if (!loaded) return codePage(request, reply, 400, undefined, WRONG_USER_CODE);
    const { pending, session: signedIn } = loaded;
    const body = request.body ?? {};
    if (!formIsGenuine(request, deps, `device-confirm ${pending.transactionId}`, body._csrf))
      return sendInvalidFormPage(reply, deps);
    const { user } = pending;
    if (!user || !signedIn) return toLogin(reply, pending.transactionId, 303);
    if (body.action !== 'confirm' && body.action !== 'cancel')
      return sendErrorPage(reply, deps, 400, 'Choose Confirm or Cancel.', 'Invalid form');
    const outcome = await decideActivation({ ...pending, user }, signedIn, body.action === 'confirm', activation);
    if (outcome === 'expired') return codePage(request, reply, 400, undefined, WRONG_USER_CODE);
    return sendPage(reply, deps, 200, {
      screen: outcome === 'allowed' ? 'device-allowed' : 'device-denied',
      client: pending.client,
    });
  });
}
