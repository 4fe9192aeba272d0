// Password-change and e-mail-verification tickets (Auth0 docs, "Password Reset Flow" and "Verify Emails";
// Management API v2, "Tickets"): a random token in a link, stored only as its SHA-256, spent once. The links
// are Auth0's Universal Login paths: <issuer>u/reset-password?ticket=… and <issuer>u/email-verification?ticket=….
import { randomBytes } from 'node:crypto';
import type { Passwords } from '../crypto/passwords.js';
import { sha256 } from '../crypto/hash.js';
import type { Messages } from '../delivery/messages.js';
import type { Client, Connection, Store, Stores, User, UserTicket, UserTicketKind } from '../store/types.js';
import { identifierOf } from './brute-force.js';

/** Auth0's default ticket lifetime when ttl_sec is absent or 0: 432000 seconds (Management API v2, "Tickets"). */
export const DEFAULT_TICKET_TTL_SEC = 5 * 24 * 60 * 60;

const paths: Record<UserTicketKind, string> = {
  password_change: 'u/reset-password',
  email_verification: 'u/email-verification',
};

export interface NewTicket {
  kind: UserTicketKind;
  user_id: string;
  client_id?: string | null;
  result_url?: string | null;
  ttl_sec?: number;
  mark_email_verified?: boolean;
  include_email?: boolean;
}

/** A fresh token and the row that stands for it (nothing stored yet). */
function ticketRow(input: NewTicket, now: number): { token: string; row: UserTicket } {
  const token = randomBytes(32).toString('base64url');
  const ttl = input.ttl_sec && input.ttl_sec > 0 ? input.ttl_sec : DEFAULT_TICKET_TTL_SEC;
  return {
    token,
    row: {
      ticket_hash: sha256(token),
      kind: input.kind,
      user_id: input.user_id,
      client_id: input.client_id ?? null,
      result_url: input.result_url ?? null,
      mark_email_verified: input.mark_email_verified === true,
      include_email: input.include_email === true,
      created_at: now,
      expires_at: now + ttl * 1000,
      used_at: null,
    },
  };
}

export function ticketUrl(issuer: string, kind: UserTicketKind, token: string): string {
  // Auth0 ends a reset link with '#' (the page reads nothing from the fragment); kept so links look alike.
  return `${issuer}${paths[kind]}?ticket=${token}${kind === 'password_change' ? '#' : ''}`;
}

/** Stores a new ticket and returns its link. */
export async function createTicket(
  stores: Pick<Stores, 'userTickets'>,
  issuer: string,
  input: NewTicket,
  now: number,
): Promise<string> {
  const { token, row } = ticketRow(input, now);
  await stores.userTickets.insert(row);
  return ticketUrl(issuer, input.kind, token);
}

export const hashTicket = (token: string) => sha256(token);

/** What the e-mail templates read, with Auth0's variable names (Auth0 docs, "Customize Email Templates"). */
function emailVariables(user: User, client: Client | undefined, url: string) {
  return {
    url,
    user: { email: user.email, name: user.name, nickname: user.nickname, user_id: user.user_id },
    application: client ? { name: client.name, client_id: client.client_id } : undefined,
    connection: { name: user.connection },
  };
}

export interface TicketMailDeps {
  store: Pick<Stores, 'userTickets' | 'users' | 'connections' | 'emailTemplates'>;
  messages: Messages;
  issuer: string;
  now: () => number;
}

/**
 * What the e-mail template says of its link (Auth0 "Customize Email Templates": the redirect URL, the URL lifetime
 * and whether the address goes along); the ticket's own settings, when a Management API call gives them, win.
 */
async function templateTicketSettings(
  store: Pick<Stores, 'emailTemplates'>,
  name: 'reset_email' | 'verify_email',
): Promise<Pick<NewTicket, 'result_url' | 'ttl_sec' | 'include_email'>> {
  const template = await store.emailTemplates.get(name);
  if (!template) return {};
  return {
    result_url: template.resultUrl ?? undefined,
    ttl_sec: template.urlLifetimeInSeconds ?? undefined,
    include_email: template.includeEmailInRedirect,
  };
}

/**
 * A reset e-mail for whoever holds this address in the connection. The same work is done whether or not the
 * address is known (a token, its hash, one lookup and one queued-or-skipped message, never waiting for the mail
 * server), so neither the answer nor its timing tells whether an account exists. True when an e-mail was queued.
 */
export async function requestPasswordReset(
  deps: TicketMailDeps,
  input: { client: Client; connection: Connection; email: string },
): Promise<User | undefined> {
  const now = deps.now();
  const user = await deps.store.users.findByEmail(input.connection.name, identifierOf(input.email));
  const settings = await templateTicketSettings(deps.store, 'reset_email');
  const { token, row } = ticketRow(
    { kind: 'password_change', user_id: user?.user_id ?? '', client_id: input.client.client_id, ...settings },
    now,
  );
  if (!user?.email) return undefined;
  await deps.store.userTickets.insert(row);
  const url = ticketUrl(deps.issuer, 'password_change', token);
  await deps.messages.email({
    kind: 'reset_email',
    to: user.email,
    variables: emailVariables(user, input.client, url),
  });
  return user;
}

/**
 * Whether the connection sends a verification e-mail after sign-up: `options.verify_email`, true unless set to
 * false (Auth0 sends the verification e-mail by default for database connections, "Verify Emails").
 */
export function sendsVerificationEmail(connection: Pick<Connection, 'options'>): boolean {
  return connection.options.verify_email !== false;
}

/** Queues the verify_email message with a fresh ticket's link. */
export async function sendVerificationEmail(
  deps: TicketMailDeps,
  user: User,
  client: Client | undefined,
  options: { result_url?: string | null; ttl_sec?: number } = {},
): Promise<void> {
  if (!user.email) return;
  const settings = await templateTicketSettings(deps.store, 'verify_email');
  const given = Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined && value !== null),
  );
  const url = await createTicket(
    deps.store,
    deps.issuer,
    { kind: 'email_verification', user_id: user.user_id, client_id: client?.client_id, ...settings, ...given },
    deps.now(),
  );
  await deps.messages.email({ kind: 'verify_email', to: user.email, variables: emailVariables(user, client, url) });
}

/**
 * The welcome e-mail, once a user's address is verified, or after the sign-up when the connection verifies none
 * (Auth0 "Customize Email Templates": welcome_email). As in Auth0 it is sent only once the tenant has set it up:
 * a stored, enabled welcome_email template.
 */
export async function sendWelcomeEmail(deps: TicketMailDeps, user: User, client: Client | undefined): Promise<boolean> {
  const template = await deps.store.emailTemplates.get('welcome_email');
  if (!user.email || !template?.enabled) return false;
  const { url: _none, ...variables } = emailVariables(user, client, '');
  await deps.messages.email({ kind: 'welcome_email', to: user.email, variables });
  return true;
}

/** After a sign-up: the verification e-mail when the user's connection sends one, else the welcome e-mail. */
export async function sendSignupVerification(deps: TicketMailDeps, user: User, client: Client): Promise<boolean> {
  const connection = await deps.store.connections.getByName(user.connection);
  if (!connection || !sendsVerificationEmail(connection)) {
    await sendWelcomeEmail(deps, user, client);
    return false;
  }
  await sendVerificationEmail(deps, user, client);
  return true;
}

/** Why a ticket cannot be used: none such, spent, or out of time. */
export type TicketProblem = 'invalid' | 'used' | 'expired';

/** The ticket when it can still be used, else why not (for the page that says so). */
export async function usableTicket(
  stores: Pick<Stores, 'userTickets'>,
  token: unknown,
  kind: UserTicketKind,
  now: number,
): Promise<{ ticket: UserTicket } | { problem: TicketProblem }> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 100) return { problem: 'invalid' };
  const ticket = await stores.userTickets.get(sha256(token));
  if (!ticket || ticket.kind !== kind) return { problem: 'invalid' };
  if (ticket.used_at !== null) return { problem: 'used' };
  if (ticket.expires_at <= now) return { problem: 'expired' };
  return { ticket };
}

/**
 * Sets the new password in one transaction: the ticket is spent (one statement: a second request with the same
 * link gets nothing), the argon2id hash stored, the brute-force blocks of the address lifted, every session
 * ended and every refresh token revoked, so whoever knew the old password is signed out everywhere.
 */
export async function resetPassword(
  store: Pick<Store, 'transaction'>,
  passwords: Pick<Passwords, 'hash'>,
  token: string,
  password: string,
  now: number,
): Promise<{ ticket: UserTicket; user: User } | { problem: TicketProblem }> {
  const hash = await passwords.hash(password);
  return store.transaction(null, async (tx) => {
    const ticket = await tx.userTickets.consume(sha256(token), 'password_change', now);
    if (!ticket) return { problem: 'used' as const };
    const user = await tx.users.get(ticket.user_id);
    if (!user) return { problem: 'invalid' as const };
    await tx.users.update(user.user_id, {
      password_hash: hash,
      ...(ticket.mark_email_verified ? { email_verified: true } : {}),
    });
    if (user.email)
      await tx.loginFailures.clear({ identifiers: [identifierOf(user.email)], connection: user.connection });
    await tx.sessions.deleteOfUser(user.user_id);
    await tx.refreshTokens.revokeOfUser(user.user_id, now);
    return { ticket, user };
  });
}

/** Spends an e-mail-verification ticket and marks the address verified, in one transaction. */
export async function verifyEmail(
  store: Pick<Store, 'transaction'>,
  token: string,
  now: number,
): Promise<{ ticket: UserTicket; user: User } | { problem: TicketProblem }> {
  return store.transaction(null, async (tx) => {
    const ticket = await tx.userTickets.consume(sha256(token), 'email_verification', now);
    if (!ticket) return { problem: 'used' as const };
    const user = await tx.users.get(ticket.user_id);
    if (!user) return { problem: 'invalid' as const };
    await tx.users.update(user.user_id, { email_verified: true });
    return { ticket, user };
  });
}

/** Where the person goes after the ticket: result_url (with ?email= when asked), else the application's login route. */
export function afterTicketUrl(ticket: UserTicket, user: User, client: Client | undefined): string | undefined {
  if (ticket.result_url) {
    if (!ticket.include_email || !user.email || !URL.canParse(ticket.result_url)) return ticket.result_url;
    const url = new URL(ticket.result_url);
    url.searchParams.set('email', user.email);
    return url.href;
  }
  const login = client?.inert?.initiate_login_uri;
  return typeof login === 'string' ? login : undefined;
}
