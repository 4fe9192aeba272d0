// /u/login: the database connection's login form. It checks the password and starts the SSO session,
// then sends the browser back to /authorize/resume; it never issues codes or tokens itself.
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthorizeRequest } from '../protocol/authorize/request.js';
import { createSession, endSession } from '../protocol/session.js';
import type { Store } from '../store/types.js';
import { CSRF_COOKIE, csrfToken, newCsrfCookieValue, verifyCsrf } from './csrf.js';
import { sendErrorPage, sendPage, type PageDeps } from './pages.js';
import { checkPassword, spendPasswordCheck } from './password.js';

/** AUTH0-WIRE.md "Attack protection": 10 failures for one account from one IP block that pair. */
export const BRUTE_FORCE_THRESHOLD = 10;
export const SESSION_COOKIE = 'gatehouse_session';

export interface LoginDeps extends PageDeps {
  store: Store;
  csrfKey: Buffer;
  secureCookies: boolean;
  now: () => number;
}

type LoginRequest = FastifyRequest<{ Querystring: { state?: string }; Body: { email?: string; password?: string; _csrf?: string } }>;

export function sessionCookieOptions(secure: boolean) {
  // SPEC.md §6: HttpOnly; on https Secure + SameSite=None (cross-site silent authentication), else Lax.
  return secure
    ? { httpOnly: true, secure: true, sameSite: 'none' as const, path: '/' }
    : { httpOnly: true, secure: false, sameSite: 'lax' as const, path: '/' };
}

export function loginRoutes(app: FastifyInstance, deps: LoginDeps) {
  const { store } = deps;
  const expired = 'This sign-in link has expired. Return to the application and sign in again.';

  async function transactionOf(request: LoginRequest) {
    const id = request.query.state;
    const transaction = typeof id === 'string' && id.length <= 100 ? await store.loginTransactions.get(id) : undefined;
    if (!transaction) return undefined;
    const client = await store.clients.get(transaction.client_id);
    return client && { id: transaction.id, request: transaction.request as AuthorizeRequest, client };
  }

  async function showForm(request: LoginRequest, reply: Parameters<typeof sendPage>[0], status: number, tx: NonNullable<Awaited<ReturnType<typeof transactionOf>>>, extra: { email?: string; error?: string }) {
    let cookie = request.cookies[CSRF_COOKIE];
    if (!cookie || cookie.length > 100) {
      cookie = newCsrfCookieValue();
      reply.setCookie(CSRF_COOKIE, cookie, { httpOnly: true, secure: deps.secureCookies, sameSite: 'lax', path: '/u' });
    }
    return sendPage(reply, deps, status, {
      screen: 'login',
      client: tx.client,
      redirectsTo: tx.request.redirect_uri,
      transaction: { state: tx.id, params: tx.request.ext },
      form: {
        action: `/u/login?state=${encodeURIComponent(tx.id)}`,
        csrf: csrfToken(deps.csrfKey, cookie, `login ${tx.id}`),
        email: extra.email ?? tx.request.login_hint,
        error: extra.error,
      },
    });
  }

  app.get('/u/login', async (request: LoginRequest, reply) => {
    const tx = await transactionOf(request);
    if (!tx) return sendErrorPage(reply, deps, 400, expired);
    return showForm(request, reply, 200, tx, {});
  });

  app.post('/u/login', async (request: LoginRequest, reply) => {
    const tx = await transactionOf(request);
    if (!tx) return sendErrorPage(reply, deps, 400, expired);
    const body = request.body ?? {};
    if (!verifyCsrf(deps.csrfKey, request.cookies[CSRF_COOKIE], `login ${tx.id}`, body._csrf)) {
      return sendErrorPage(reply, deps, 403, 'The form could not be verified (it may have expired). Go back and try again.', 'Invalid form');
    }
    const email = typeof body.email === 'string' ? body.email.trim().slice(0, 320) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    if (!email || !password) return showForm(request, reply, 400, tx, { email, error: 'Enter your email address and password' });

    const user = await store.users.findByEmail(tx.request.connection, email);
    if (!user) {
      await spendPasswordCheck(password);
      return showForm(request, reply, 400, tx, { email, error: 'Wrong email or password' });
    }
    if ((await store.loginFailures.failures(user.user_id, request.ip)) >= BRUTE_FORCE_THRESHOLD) {
      return showForm(request, reply, 429, tx, {
        email,
        error: 'Your account has been blocked after multiple consecutive login attempts. Reset your password or contact support.',
      });
    }
    if (!(await checkPassword(user, password, store.users))) {
      await store.loginFailures.recordFailure(user.user_id, request.ip, deps.now());
      // The same words whether the e-mail or the password was wrong.
      return showForm(request, reply, 400, tx, { email, error: 'Wrong email or password' });
    }
    if (user.blocked) return sendErrorPage(reply, deps, 401, 'This account is blocked. Contact support.', 'Account blocked');
    await store.loginFailures.reset(user.user_id, request.ip);
    // A new sign-in replaces the browser's session: the old one must not outlive a later logout.
    await endSession(store.sessions, request.cookies[SESSION_COOKIE]);
    const { cookieValue } = await createSession(store.sessions, user.user_id, await store.tenant.get(), deps.now());
    reply.setCookie(SESSION_COOKIE, cookieValue, sessionCookieOptions(deps.secureCookies));
    // SPEC.md §6: after a form POST, 303 (never 307, which would re-post the password).
    return reply.code(303).header('cache-control', 'no-store').redirect(`/authorize/resume?state=${encodeURIComponent(tx.id)}`, 303);
  });
}
