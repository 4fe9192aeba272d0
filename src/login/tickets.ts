// The pages a person reaches from the login page or an e-mail (Auth0 docs, "Password Reset Flow" and "Verify
// Emails"): /u/reset-password/request (Forgot password?), /u/reset-password?ticket=… (the new password) and
// /u/email-verification?ticket=…. A used, expired or unknown link shows a page that says so.
import type {} from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEvent, AuditLog } from '../audit/events.js';
import type { Passwords } from '../crypto/passwords.js';
import type { Messages } from '../delivery/messages.js';
import type { InteractionState } from '../protocol/authorize/interaction.js';
import { takeAttempt, THROTTLED_DESCRIPTION } from '../protocol/ip-throttle.js';
import { describePolicy, meetsPolicy } from '../protocol/password-policy.js';
import {
  afterTicketUrl,
  requestPasswordReset,
  resetPassword,
  sendWelcomeEmail,
  type TicketProblem,
  usableTicket,
  verifyEmail,
} from '../protocol/user-tickets.js';
import type { Store, UserTicket } from '../store/types.js';
import { formCsrfToken, formIsGenuine } from './csrf.js';
import { EXPIRED_SIGN_IN, type PageDeps, sendErrorPage, sendInvalidFormPage, sendPage } from './pages.js';

export interface TicketPageDeps extends PageDeps {
  store: Store;
  csrfKey: Buffer;
  secureCookies: boolean;
  passwords: Passwords;
  audit: AuditLog;
  messages: Messages;
  issuer: string;
  now: () => number;
}

type StateRequest = FastifyRequest<{ Querystring: { state?: string }; Body: { email?: string; _csrf?: string } }>;
type TicketRequest = FastifyRequest<{
  Querystring: { ticket?: string };
  Body: { password?: string; password_confirm?: string; _csrf?: string };
}>;

const problems: Record<TicketProblem, [title: string, description: string]> = {
  invalid: ['Invalid link', 'This link is not valid. Request a new one from the application.'],
  used: ['Link already used', 'This ticket was already used. Request a new link from the application.'],
  expired: ['Link expired', 'This link has expired. Request a new one from the application.'],
};

export const MISMATCH = 'Please ensure the password and the confirmation are the same.';

export function ticketRoutes(app: FastifyInstance, deps: TicketPageDeps) {
  const { store } = deps;
  const mail = { store, messages: deps.messages, issuer: deps.issuer, now: deps.now };

  const problemPage = (reply: FastifyReply, problem: TicketProblem) =>
    sendErrorPage(reply, deps, problem === 'invalid' ? 400 : 410, problems[problem][1], problems[problem][0]);

  function record(request: FastifyRequest, event: AuditEvent) {
    deps.audit.record({ ip: request.ip, user_agent: request.headers['user-agent'], strategy: 'auth0', ...event });
  }

  /** The login page's transaction, its client and its database connection. */
  async function loginOf(request: StateRequest) {
    const id = request.query.state;
    const transaction = typeof id === 'string' && id.length <= 100 ? await store.loginTransactions.get(id) : undefined;
    if (!transaction) return undefined;
    const client = await store.clients.get(transaction.client_id);
    const connection = await store.connections.getByName((transaction.request as InteractionState).request.connection);
    if (!client || connection?.strategy !== 'auth0') return undefined;
    return { id: transaction.id, client, connection, loginUrl: `/u/login?state=${encodeURIComponent(transaction.id)}` };
  }

  type Login = NonNullable<Awaited<ReturnType<typeof loginOf>>>;
  const showRequest = (request: StateRequest, reply: FastifyReply, status: number, login: Login, error?: string) =>
    sendPage(reply, deps, status, {
      screen: 'reset-password-request',
      client: login.client,
      transaction: { state: login.id, params: {} },
      form: {
        action: `/u/reset-password/request?state=${encodeURIComponent(login.id)}`,
        csrf: formCsrfToken(request, reply, deps, `reset-request ${login.id}`),
        error,
        loginUrl: login.loginUrl,
      },
    });

  app.get('/u/reset-password/request', async (request: StateRequest, reply) => {
    const login = await loginOf(request);
    if (!login) return sendErrorPage(reply, deps, 400, EXPIRED_SIGN_IN);
    return showRequest(request, reply, 200, login);
  });

  app.post('/u/reset-password/request', async (request: StateRequest, reply) => {
    const login = await loginOf(request);
    if (!login) return sendErrorPage(reply, deps, 400, EXPIRED_SIGN_IN);
    const body = request.body ?? {};
    if (!formIsGenuine(request, deps, `reset-request ${login.id}`, body._csrf)) return sendInvalidFormPage(reply, deps);
    const email = typeof body.email === 'string' ? body.email.trim().slice(0, 320) : '';
    if (!email) return showRequest(request, reply, 400, login, 'Enter your email address');
    const base = {
      client_id: login.client.client_id,
      client_name: login.client.name,
      connection: login.connection.name,
    };
    if (!(await takeAttempt(store.ipThrottles, 'change_password', request.ip, deps.now()))) {
      record(request, { type: 'limit_mu', description: THROTTLED_DESCRIPTION, user_name: email, ...base });
      return showRequest(request, reply, 429, login, THROTTLED_DESCRIPTION);
    }
    const user = await requestPasswordReset(mail, { client: login.client, connection: login.connection, email });
    record(request, { type: user ? 'scpr' : 'fcpr', user_id: user?.user_id, user_name: email, ...base });
    // The same page whether or not the address has an account (no account enumeration).
    return sendPage(reply, deps, 200, {
      screen: 'reset-password-email',
      client: login.client,
      user: { email },
      returnUrl: login.loginUrl,
    });
  });

  /** The reset form for a usable ticket, with the connection's policy in words. */
  async function showReset(
    request: TicketRequest,
    reply: FastifyReply,
    status: number,
    ticket: UserTicket,
    error?: string,
  ) {
    const user = await store.users.get(ticket.user_id);
    const connection = user && (await store.connections.getByName(user.connection));
    const client = ticket.client_id ? await store.clients.get(ticket.client_id) : undefined;
    return sendPage(reply, deps, status, {
      screen: 'reset-password',
      client,
      form: {
        action: `/u/reset-password?ticket=${encodeURIComponent(request.query.ticket ?? '')}`,
        csrf: formCsrfToken(request, reply, deps, `reset ${ticket.ticket_hash}`),
        error,
        passwordPolicy: connection ? describePolicy(connection.options) : undefined,
      },
    });
  }

  app.get('/u/reset-password', async (request: TicketRequest, reply) => {
    const found = await usableTicket(store, request.query.ticket, 'password_change', deps.now());
    if ('problem' in found) return problemPage(reply, found.problem);
    return showReset(request, reply, 200, found.ticket);
  });

  app.post('/u/reset-password', async (request: TicketRequest, reply) => {
    const token = request.query.ticket;
    const found = await usableTicket(store, token, 'password_change', deps.now());
    if ('problem' in found) return problemPage(reply, found.problem);
    const { ticket } = found;
    const body = request.body ?? {};
    if (!formIsGenuine(request, deps, `reset ${ticket.ticket_hash}`, body._csrf))
      return sendInvalidFormPage(reply, deps);
    const user = await store.users.get(ticket.user_id);
    const connection = user && (await store.connections.getByName(user.connection));
    if (!user || !connection) return problemPage(reply, 'invalid');
    const event = { user_id: user.user_id, user_name: user.email ?? undefined, connection: user.connection };
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    const refused = (description: string) => {
      record(request, { type: 'fcp', description, ...event });
      return showReset(request, reply, 400, ticket, description);
    };
    if (!password) return refused('Enter a new password');
    if (password !== body.password_confirm) return refused(MISMATCH);
    // The same policy as sign-up (protocol/signup.ts), with the same words.
    if (!meetsPolicy(password, connection.options))
      return refused(`Password is too weak. ${describePolicy(connection.options)}`);
    const result = await resetPassword(store, deps.passwords, token!, password, deps.now());
    if ('problem' in result) return problemPage(reply, result.problem);
    record(request, { type: 'scp', description: 'Password changed with a reset link', ...event });
    const client = ticket.client_id ? await store.clients.get(ticket.client_id) : undefined;
    return sendPage(reply, deps, 200, {
      screen: 'reset-password-success',
      client,
      returnUrl: afterTicketUrl(result.ticket, result.user, client),
    });
  });

  app.get('/u/email-verification', async (request: TicketRequest, reply) => {
    const token = request.query.ticket;
    const found = await usableTicket(store, token, 'email_verification', deps.now());
    const result = 'problem' in found ? found : await verifyEmail(store, token!, deps.now());
    if ('problem' in result) {
      record(request, { type: 'fv', description: problems[result.problem][1] });
      return problemPage(reply, result.problem);
    }
    const { user, ticket } = result;
    record(request, {
      type: 'sv',
      user_id: user.user_id,
      user_name: user.email ?? undefined,
      connection: user.connection,
    });
    const client = ticket.client_id ? await store.clients.get(ticket.client_id) : undefined;
    await sendWelcomeEmail(mail, user, client);
    return sendPage(reply, deps, 200, {
      screen: 'email-verification-result',
      client,
      returnUrl: afterTicketUrl(ticket, user, client),
    });
  });
}
