// Passwordless on the Universal Login page (Auth0 docs: "Passwordless with Universal Login", "Configure Email or
// SMS for Passwordless Authentication"): /authorize with connection=email (or sms) lands here.
//
//   /u/login ──passwordless connection──> GET /u/login/passwordless?state=<tx>  (Email address | Phone number)
//   POST /u/login/passwordless: CSRF, the send limits of /passwordless/start, a code bound to this browser,
//       sent by e-mail or text message ──> the code page (Code, Continue, Resend code)
//   POST /u/login/passwordless/challenge: CSRF (bound to the address too), the code redeemed (three wrong tries
//       burn it), the user found or created, the SSO session started ──> /authorize/resume?state=<tx>
//
// Auth0's New Universal Login sends a code, never a magic link ("Passwordless Authentication with Magic Links":
// magic links are not supported there), so these pages always send a code. The code is bound to this browser
// (a hash of the gatehouse_passwordless cookie): it signs in only here, not at the OTP grant, and a link made
// from it opens only in this browser.
import type {} from '@fastify/cookie';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEvent, AuditLog } from '../audit/events.js';
import type { Messages } from '../delivery/messages.js';
import type { InteractionState } from '../protocol/authorize/interaction.js';
import {
  bindingOf,
  enabledPasswordlessConnection,
  findPasswordlessUser,
  identifierOf,
  issueCode,
  PasswordlessCodeError,
  redeemCode,
  SIGNUP_DISABLED_DESCRIPTION,
  signInWithCode,
  signupDisabled,
} from '../protocol/passwordless.js';
import { sendPasswordlessMessage, TOO_MANY_REQUESTS, takeSendAllowance } from '../protocol/passwordless-send.js';
import type { Store } from '../store/types.js';
import { formCsrfToken, formIsGenuine } from './csrf.js';
import { EXPIRED_SIGN_IN, type PageDeps, sendErrorPage, sendInvalidFormPage, sendPage } from './pages.js';
import { startBrowserSession } from './session-cookie.js';

/** The cookie a browser-started passwordless sign-in is bound to. */
export const PASSWORDLESS_BINDING_COOKIE = 'gatehouse_passwordless';
export const PASSWORDLESS_PAGE = '/u/login/passwordless';
const CHALLENGE_PAGE = '/u/login/passwordless/challenge';

export interface PasswordlessPageDeps extends PageDeps {
  store: Store;
  csrfKey: Buffer;
  secureCookies: boolean;
  passwordlessKey: Buffer;
  messages: Messages;
  audit: AuditLog;
  now: () => number;
}

type PasswordlessRequest = FastifyRequest<{
  Querystring: { state?: string };
  Body: { email?: string; phone_number?: string; code?: string; _csrf?: string };
}>;

/** Auth0's words for an address the form cannot use. */
const invalidAddress = (sms: boolean) => (sms ? 'Phone number is not valid.' : 'Email is not valid.');

export function passwordlessPageRoutes(app: FastifyInstance, deps: PasswordlessPageDeps) {
  const { store } = deps;

  /** The login transaction when its connection is a passwordless one enabled for its client. */
  async function transactionOf(request: PasswordlessRequest) {
    const id = request.query.state;
    const transaction = typeof id === 'string' && id.length <= 100 ? await store.loginTransactions.get(id) : undefined;
    if (!transaction) return undefined;
    const client = await store.clients.get(transaction.client_id);
    const authorizeRequest = (transaction.request as InteractionState).request;
    const connection =
      client && enabledPasswordlessConnection(await store.connections.getByName(authorizeRequest.connection), client);
    return client && connection && { id: transaction.id, request: authorizeRequest, client, connection };
  }
  type Transaction = NonNullable<Awaited<ReturnType<typeof transactionOf>>>;

  const state = (tx: Transaction) => encodeURIComponent(tx.id);
  const addressPurpose = (tx: Transaction) => `passwordless ${tx.id}`;
  const codePurpose = (tx: Transaction, identifier: string) => `passwordless-code ${tx.id} ${identifier}`;
  const isSms = (tx: Transaction) => tx.connection.strategy === 'sms';
  const addressOf = (tx: Transaction, request: PasswordlessRequest) => {
    const body = request.body ?? {};
    const value = isSms(tx) ? body.phone_number : body.email;
    return typeof value === 'string' ? value.trim().slice(0, 320) : '';
  };
  const addressFields = (tx: Transaction, address: string | undefined) =>
    isSms(tx) ? { sms: true, phoneNumber: address } : { email: address };

  function showAddress(
    request: PasswordlessRequest,
    reply: FastifyReply,
    status: number,
    tx: Transaction,
    extra: { address?: string; error?: string },
  ) {
    return sendPage(reply, deps, status, {
      screen: 'passwordless-email',
      client: tx.client,
      transaction: { state: tx.id, params: tx.request.ext },
      form: {
        action: `${PASSWORDLESS_PAGE}?state=${state(tx)}`,
        csrf: formCsrfToken(request, reply, deps, addressPurpose(tx)),
        error: extra.error,
        ...addressFields(tx, extra.address ?? (isSms(tx) ? undefined : tx.request.login_hint)),
      },
    });
  }

  function showCode(
    request: PasswordlessRequest,
    reply: FastifyReply,
    status: number,
    tx: Transaction,
    identifier: string,
    error?: string,
  ) {
    return sendPage(reply, deps, status, {
      screen: 'passwordless-code',
      client: tx.client,
      // The code's POST ends at the client's callback (CSP form-action applies to the redirects too).
      redirectsTo: tx.request.redirect_uri,
      transaction: { state: tx.id, params: tx.request.ext },
      form: {
        action: `${CHALLENGE_PAGE}?state=${state(tx)}`,
        csrf: formCsrfToken(request, reply, deps, codePurpose(tx, identifier)),
        error,
        ...addressFields(tx, identifier),
        resend: {
          action: `${PASSWORDLESS_PAGE}?state=${state(tx)}`,
          csrf: formCsrfToken(request, reply, deps, addressPurpose(tx)),
        },
      },
    });
  }

  function record(request: PasswordlessRequest, tx: Transaction, event: AuditEvent) {
    deps.audit.record({
      ip: request.ip,
      user_agent: request.headers['user-agent'],
      client_id: tx.client.client_id,
      client_name: tx.client.name,
      connection: tx.connection.name,
      strategy: tx.connection.strategy,
      ...event,
    });
  }

  /** This browser's binding cookie, set now when it has none. */
  function bindingCookie(request: PasswordlessRequest, reply: FastifyReply): string {
    const existing = request.cookies[PASSWORDLESS_BINDING_COOKIE];
    if (existing && existing.length >= 32 && existing.length <= 100) return existing;
    const value = randomBytes(24).toString('base64url');
    // Path / so that a magic link (/passwordless/verify_redirect) made from this code sees it too; Lax, so a link
    // opened from an e-mail (a top-level GET) carries it.
    reply.setCookie(PASSWORDLESS_BINDING_COOKIE, value, {
      httpOnly: true,
      secure: deps.secureCookies,
      sameSite: 'lax',
      path: '/',
    });
    return value;
  }

  app.get(PASSWORDLESS_PAGE, async (request: PasswordlessRequest, reply) => {
    const tx = await transactionOf(request);
    if (!tx) return sendErrorPage(reply, deps, 400, EXPIRED_SIGN_IN);
    return showAddress(request, reply, 200, tx, {});
  });

  // The address form, and the code page's "Resend code" (a new code replaces the previous one).
  app.post(PASSWORDLESS_PAGE, async (request: PasswordlessRequest, reply) => {
    const tx = await transactionOf(request);
    if (!tx) return sendErrorPage(reply, deps, 400, EXPIRED_SIGN_IN);
    if (!formIsGenuine(request, deps, addressPurpose(tx), request.body?._csrf)) return sendInvalidFormPage(reply, deps);
    const address = addressOf(tx, request);
    const identifier = identifierOf(tx.connection.strategy, address);
    if (!identifier) return showAddress(request, reply, 400, tx, { address, error: invalidAddress(isSms(tx)) });
    const at = deps.now();
    // The same allowance as POST /passwordless/start: one count per IP and per address, whichever page sends.
    if (!(await takeSendAllowance(store.ipThrottles, tx.connection, identifier, request.ip, at))) {
      record(request, tx, { type: 'limit_mu', description: TOO_MANY_REQUESTS, user_name: identifier });
      return showAddress(request, reply, 429, tx, { address, error: TOO_MANY_REQUESTS });
    }
    if (signupDisabled(tx.connection) && !(await findPasswordlessUser(store.users, tx.connection, identifier)))
      return showAddress(request, reply, 400, tx, { address, error: SIGNUP_DISABLED_DESCRIPTION });
    const { code } = await issueCode(store, deps.passwordlessKey, {
      connection: tx.connection,
      identifier,
      client_id: tx.client.client_id,
      binding: bindingOf(deps.passwordlessKey, bindingCookie(request, reply)),
      at,
    });
    await sendPasswordlessMessage(deps.messages, { connection: tx.connection, client: tx.client, identifier, code });
    record(request, tx, { type: 'cs', user_name: identifier });
    return showCode(request, reply, 200, tx, identifier);
  });

  app.post(CHALLENGE_PAGE, async (request: PasswordlessRequest, reply) => {
    const tx = await transactionOf(request);
    if (!tx) return sendErrorPage(reply, deps, 400, EXPIRED_SIGN_IN);
    // The token names the address too: the hidden field cannot be changed to another person's.
    const identifier = identifierOf(tx.connection.strategy, addressOf(tx, request));
    if (!identifier || !formIsGenuine(request, deps, codePurpose(tx, identifier), request.body?._csrf))
      return sendInvalidFormPage(reply, deps);
    const code = typeof request.body?.code === 'string' ? request.body.code.trim().slice(0, 32) : '';
    if (!code) return showCode(request, reply, 400, tx, identifier, 'Enter the code');
    const cookie = request.cookies[PASSWORDLESS_BINDING_COOKIE];
    const at = deps.now();
    let user: Awaited<ReturnType<typeof signInWithCode>>['user'];
    try {
      await redeemCode(store, deps.passwordlessKey, {
        connection: tx.connection,
        identifier,
        code,
        client_id: tx.client.client_id,
        binding: cookie ? bindingOf(deps.passwordlessKey, cookie) : undefined,
        at,
      });
      ({ user } = await signInWithCode(store, tx.connection, identifier, at));
    } catch (error) {
      if (!(error instanceof PasswordlessCodeError)) throw error;
      record(request, tx, { type: 'f', description: error.description, user_name: identifier });
      return showCode(request, reply, error.reason === 'burnt' ? 429 : 400, tx, identifier, error.description);
    }
    if (user.blocked) {
      record(request, tx, { type: 'f', description: 'user is blocked', user_id: user.user_id, user_name: identifier });
      return sendErrorPage(reply, deps, 401, 'This account is blocked. Contact support.', 'Account blocked');
    }
    record(request, tx, { type: 's', user_id: user.user_id, user_name: identifier });
    await startBrowserSession(request, reply, deps, user.user_id);
    // RFC 9700 §4.12: after a form POST, 303 (never 307, which would re-post the code).
    return reply.header('cache-control', 'no-store').redirect(`/authorize/resume?state=${state(tx)}`, 303);
  });
}
