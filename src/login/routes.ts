// /u/login and /u/signup: the database connection's forms. They check the password (or create the user)
// and start the SSO session, then send the browser back to /authorize/resume; they never issue codes. A
// transaction for a passwordless connection is sent on to its own pages (login/passwordless.ts).
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type AuditEvent, type AuditLog, passwordAttemptType } from '../audit/events.js';
import type { InteractionState } from '../protocol/authorize/interaction.js';
import { BLOCKED_DESCRIPTION, checkPasswordAttempt } from '../protocol/brute-force.js';
import { takeAttempt, THROTTLED_DESCRIPTION } from '../protocol/ip-throttle.js';
import { isPasswordless } from '../protocol/passwordless.js';
import { SignupError, signUp } from '../protocol/signup.js';
import type { Client, Store, User } from '../store/types.js';
import { formCsrfToken, formIsGenuine } from './csrf.js';
import { EXPIRED_SIGN_IN, sendErrorPage, sendInvalidFormPage, sendPage, type PageDeps } from './pages.js';
import type { Passwords } from '../crypto/passwords.js';
import { passwordCheck } from '../protocol/password-check.js';
import { PASSWORDLESS_PAGE } from './passwordless.js';
import { startBrowserSession } from './session-cookie.js';

export interface LoginDeps extends PageDeps {
  store: Store;
  csrfKey: Buffer;
  secureCookies: boolean;
  passwords: Passwords;
  audit: AuditLog;
  now: () => number;
  /** After a sign-up on the page: the verification e-mail (protocol/user-tickets.ts). */
  afterSignup?: (user: User, client: Client) => Promise<unknown>;
}

type LoginRequest = FastifyRequest<{
  Querystring: { state?: string };
  Body: { email?: string; password?: string; _csrf?: string };
}>;

export function loginRoutes(app: FastifyInstance, deps: LoginDeps) {
  const { store } = deps;
  const passwords = passwordCheck(deps.passwords, store.users);
  type Transaction = NonNullable<Awaited<ReturnType<typeof transactionOf>>>;
  type Reply = Parameters<typeof sendPage>[0];

  async function transactionOf(request: LoginRequest) {
    const id = request.query.state;
    const transaction = typeof id === 'string' && id.length <= 100 ? await store.loginTransactions.get(id) : undefined;
    if (!transaction) return undefined;
    const client = await store.clients.get(transaction.client_id);
    const request_ = (transaction.request as InteractionState).request;
    const connection = client && (await store.connections.getByName(request_.connection));
    return (
      client &&
      connection && {
        id: transaction.id,
        request: request_,
        client,
        signupAllowed: connection.options.disable_signup !== true,
        passwordless: isPasswordless(connection),
      }
    );
  }

  async function showForm(
    request: LoginRequest,
    reply: Reply,
    status: number,
    tx: Transaction,
    screen: 'login' | 'signup',
    extra: { email?: string; error?: string },
  ) {
    const state = encodeURIComponent(tx.id);
    return sendPage(reply, deps, status, {
      screen,
      client: tx.client,
      redirectsTo: tx.request.redirect_uri,
      transaction: { state: tx.id, params: tx.request.ext },
      form: {
        action: `/u/${screen}?state=${state}`,
        csrf: formCsrfToken(request, reply, deps, `${screen} ${tx.id}`),
        email: extra.email ?? tx.request.login_hint,
        error: extra.error,
        signupUrl: screen === 'login' && tx.signupAllowed ? `/u/signup?state=${state}` : undefined,
        loginUrl: screen === 'signup' ? `/u/login?state=${state}` : undefined,
        // Auth0's "Forgot password?" link: /u/reset-password/request (login/tickets.ts).
        forgotPasswordUrl: screen === 'login' ? `/u/reset-password/request?state=${state}` : undefined,
      },
    });
  }

  /** Records a sign-in or sign-up event with what the form's transaction knows. */
  function record(request: LoginRequest, tx: Transaction, event: AuditEvent) {
    deps.audit.record({
      ip: request.ip,
      user_agent: request.headers['user-agent'],
      client_id: tx.client.client_id,
      client_name: tx.client.name,
      connection: tx.request.connection,
      strategy: 'auth0',
      ...event,
    });
  }

  /** Starts the browser's session and sends it back to /authorize to finish. */
  async function signIn(request: LoginRequest, reply: Reply, tx: Transaction, userId: string) {
    await startBrowserSession(request, reply, deps, userId);
    // RFC 9700 §4.12: after a form POST, 303 (never 307, which would re-post the password).
    return reply
      .header('cache-control', 'no-store')
      .redirect(`/authorize/resume?state=${encodeURIComponent(tx.id)}`, 303);
  }

  /** A passwordless connection has no password: its transaction goes to the passwordless pages. */
  const toPasswordless = (reply: Reply, tx: Transaction, status: 302 | 303) =>
    reply
      .header('cache-control', 'no-store')
      .redirect(`${PASSWORDLESS_PAGE}?state=${encodeURIComponent(tx.id)}`, status);

  /** The posted form's transaction, CSRF-checked; or the page that says why not. */
  async function postedForm(request: LoginRequest, reply: Reply, screen: 'login' | 'signup') {
    const tx = await transactionOf(request);
    if (!tx) return { reply: await sendErrorPage(reply, deps, 400, EXPIRED_SIGN_IN) };
    if (tx.passwordless) return { reply: await toPasswordless(reply, tx, 303) };
    const body = request.body ?? {};
    if (!formIsGenuine(request, deps, `${screen} ${tx.id}`, body._csrf))
      return { reply: await sendInvalidFormPage(reply, deps) };
    const email = typeof body.email === 'string' ? body.email.trim().slice(0, 320) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    return { tx, email, password };
  }

  app.get('/u/login', async (request: LoginRequest, reply) => {
    const tx = await transactionOf(request);
    if (!tx) return sendErrorPage(reply, deps, 400, EXPIRED_SIGN_IN);
    if (tx.passwordless) return toPasswordless(reply, tx, 302);
    return showForm(request, reply, 200, tx, 'login', {});
  });

  app.post('/u/login', async (request: LoginRequest, reply) => {
    const form = await postedForm(request, reply, 'login');
    if (!form.tx) return form.reply;
    const { tx, email, password } = form;
    if (!email || !password)
      return showForm(request, reply, 400, tx, 'login', { email, error: 'Enter your email address and password' });
    const result = await checkPasswordAttempt(
      { ipThrottles: store.ipThrottles, loginFailures: store.loginFailures, users: store.users, passwords },
      { connection: tx.request.connection, email, password, ip: request.ip, at: deps.now() },
    );
    // Auth0 logs s, fu (no such user) or fp (wrong password), and limit_wc / limit_mu for a refused attempt.
    const correct = result.outcome === 'correct' && !result.user.blocked;
    record(request, tx, {
      type:
        result.outcome === 'correct' && !correct
          ? 'f'
          : passwordAttemptType(result.outcome, result.outcome === 'wrong' && result.unknownUser, 's'),
      description: result.outcome === 'correct' && !correct ? 'user is blocked' : undefined,
      user_id:
        result.outcome === 'correct' ? result.user.user_id : result.outcome === 'wrong' ? result.userId : undefined,
      user_name: email,
    });
    if (result.outcome === 'throttled')
      return showForm(request, reply, 429, tx, 'login', { email, error: THROTTLED_DESCRIPTION });
    if (result.outcome === 'blocked')
      return showForm(request, reply, 429, tx, 'login', { email, error: BLOCKED_DESCRIPTION });
    // The same words whether the e-mail or the password was wrong.
    if (result.outcome === 'wrong')
      return showForm(request, reply, 400, tx, 'login', { email, error: 'Wrong email or password' });
    const { user } = result;
    if (user.blocked)
      return sendErrorPage(reply, deps, 401, 'This account is blocked. Contact support.', 'Account blocked');
    return signIn(request, reply, tx, user.user_id);
  });

  app.get('/u/signup', async (request: LoginRequest, reply) => {
    const tx = await transactionOf(request);
    if (!tx) return sendErrorPage(reply, deps, 400, EXPIRED_SIGN_IN);
    if (tx.passwordless) return toPasswordless(reply, tx, 302);
    if (!tx.signupAllowed) return reply.redirect(`/u/login?state=${encodeURIComponent(tx.id)}`, 302);
    return showForm(request, reply, 200, tx, 'signup', {});
  });

  app.post('/u/signup', async (request: LoginRequest, reply) => {
    const form = await postedForm(request, reply, 'signup');
    if (!form.tx) return form.reply;
    const { tx, email, password } = form;
    if (!email || !password)
      return showForm(request, reply, 400, tx, 'signup', { email, error: 'Enter your email address and a password' });
    if (!(await takeAttempt(store.ipThrottles, 'signup', request.ip, deps.now()))) {
      record(request, tx, { type: 'limit_mu', description: THROTTLED_DESCRIPTION, user_name: email });
      return showForm(request, reply, 429, tx, 'signup', { email, error: THROTTLED_DESCRIPTION });
    }
    try {
      const user = await signUp(
        tx.client,
        { email, password, connection: tx.request.connection },
        store,
        deps.passwords,
        deps.now(),
      );
      record(request, tx, { type: 'ss', user_id: user.user_id, user_name: email });
      await deps.afterSignup?.(user, tx.client);
      return signIn(request, reply, tx, user.user_id);
    } catch (error) {
      if (!(error instanceof SignupError)) throw error;
      record(request, tx, { type: 'fs', description: error.description, user_name: email });
      return showForm(request, reply, 400, tx, 'signup', { email, error: error.description });
    }
  });
}
