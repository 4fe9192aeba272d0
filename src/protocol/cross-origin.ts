// Auth0's cross-origin authentication (Auth0 docs: "Cross-Origin Authentication",
// /docs/authenticate/login/cross-origin-authentication): a login form embedded in the application (auth0.js
// webAuth.login, Lock) posts the credentials to /co/authenticate from the application's origin and receives a
// login ticket; auth0.js then sends the browser to /authorize with login_ticket, which signs it in.
//
// The ticket lives 60 seconds (Auth0's), is stored as its hash and redeemed once. It is also bound to the browser
// that asked for it: /co/authenticate sets a verifier cookie on the Gatehouse origin (a third-party cookie when
// the application is on another site, as on Auth0), and /authorize redeems the ticket only with that cookie, so
// a ticket obtained elsewhere cannot sign a victim's browser into someone else's account (login CSRF).
import { randomSecret } from '../crypto/random.js';
import { sha256 } from '../crypto/hash.js';
import type { Client, Stores } from '../store/types.js';
import { type ConnectionDeps, resolveConnection } from './authorize/connection.js';
import { type AuditLog, passwordAttemptType } from '../audit/events.js';
import { BLOCKED_DESCRIPTION, checkPasswordAttempt, type PasswordAttemptDeps } from './brute-force.js';
import { OAuthError } from './errors.js';
import { THROTTLED_DESCRIPTION } from './ip-throttle.js';
import {
  enabledPasswordlessConnection,
  identifierOf as passwordlessIdentifierOf,
  PasswordlessCodeError,
  redeemCode,
  signInWithCode,
  wrongCodeDescription,
} from './passwordless.js';

export const LOGIN_TICKET_LIFETIME_MS = 60_000;
/** The credential_type auth0.js sends with a realm (the database connection). */
export const PASSWORD_REALM = 'http://auth0.com/oauth/grant-type/password-realm';
/** auth0.js's passwordlessLogin from the application's page: `realm` the email or sms connection, `otp` the code. */
export const PASSWORDLESS_OTP = 'http://auth0.com/oauth/grant-type/passwordless/otp';
/** Without a realm auth0.js sends `password`: the tenant's default directory, as for /authorize. */
const PASSWORD = 'password';

/** An error in /co/authenticate's shape: Auth0 fixes the status per error, not per OAuth code. */
export class CrossOriginError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${code}: ${description}`);
  }

  toJSON() {
    return { error: this.code, error_description: this.description };
  }
}

export interface CrossOriginCredentials {
  client_id?: string;
  username?: string;
  password?: string;
  realm?: string;
  credential_type?: string;
  otp?: string;
}

export interface CrossOriginDeps extends ConnectionDeps {
  stores: ConnectionDeps['stores'] & Pick<Stores, 'loginTickets' | 'users' | 'passwordlessCodes'>;
  /** The key passwordless codes are hashed under (protocol/passwordless.ts). */
  passwordlessKey: Buffer;
  attempts: PasswordAttemptDeps;
  audit: AuditLog;
  now: () => number;
}

export interface LoginTicketResponse {
  login_ticket: string;
  co_verifier: string;
  co_id: string;
}

/** The origins a client's browser pages may call the cross-origin endpoints from. */
export function clientOrigins(client: Client): string[] {
  return [...client.web_origins, ...client.allowed_origins];
}

/** The database connection the credentials are for, in Auth0's words when there is none. */
async function connectionOf(body: CrossOriginCredentials, client: Client, deps: CrossOriginDeps): Promise<string> {
  if (body.credential_type === PASSWORD) {
    try {
      return await resolveConnection(undefined, client, deps);
    } catch (error) {
      if (error instanceof OAuthError) throw new CrossOriginError(400, 'invalid_request', error.description);
      throw error;
    }
  }
  if (body.credential_type !== PASSWORD_REALM)
    throw new CrossOriginError(400, 'unsupported_credential_type', 'Unknown credential type parameter.');
  const realm = body.realm ?? '';
  const connection = await deps.stores.connections.getByName(realm);
  if (connection?.strategy !== 'auth0' || !connection.enabled_clients.includes(client.client_id))
    throw new CrossOriginError(400, 'invalid_request', `Unknown realm ${realm}.`);
  return connection.name;
}

/**
 * POST /co/authenticate for a known client from `origin`: checks the password under attack protection and answers
 * a login ticket, with the verifier the browser must present with it (the caller sets it as a cookie).
 */
export async function authenticateCrossOrigin(
  client: Client,
  body: CrossOriginCredentials,
  request: { origin: string | undefined; ip: string; userAgent: string | undefined },
  deps: CrossOriginDeps,
): Promise<LoginTicketResponse> {
  // Auth0: only applications that turned on "Allow Cross-Origin Authentication", and only from their origins.
  if (!client.cross_origin_authentication)
    throw new CrossOriginError(401, 'unauthorized_client', 'Cross origin login not allowed.');
  if (!request.origin || !clientOrigins(client).includes(request.origin))
    throw new CrossOriginError(403, 'access_denied', `Origin ${request.origin ?? '(none)'} is not allowed.`);
  if (body.credential_type === PASSWORDLESS_OTP) return passwordlessTicket(client, body, request, deps);
  if (!body.username || !body.password || !body.credential_type || (body.credential_type !== PASSWORD && !body.realm))
    throw new CrossOriginError(
      400,
      'invalid_request',
      'Invalid request body. All and only of client_id, credential_type, username, password, realm are required.',
    );
  const connection = await connectionOf(body, client, deps);
  const at = deps.now();
  const result = await checkPasswordAttempt(deps.attempts, {
    connection,
    email: body.username,
    password: body.password,
    ip: request.ip,
    at,
  });
  // Auth0 logs cross-origin authentication as scoa / fcoa, and a block as limit_wc / limit_mu.
  deps.audit.record({
    type: passwordAttemptType(result.outcome, false, 'scoa', 'fcoa'),
    description: result.outcome === 'wrong' ? 'Wrong email or password.' : undefined,
    ip: request.ip,
    user_agent: request.userAgent,
    client_id: client.client_id,
    client_name: client.name,
    user_id: result.outcome === 'correct' ? result.user.user_id : undefined,
    user_name: body.username.slice(0, 320),
    connection,
    strategy: 'auth0',
  });
  if (result.outcome === 'throttled') throw new CrossOriginError(429, 'too_many_attempts', THROTTLED_DESCRIPTION);
  if (result.outcome === 'blocked') throw new CrossOriginError(429, 'too_many_attempts', BLOCKED_DESCRIPTION);
  // The same answer whether the e-mail or the password was wrong.
  if (result.outcome === 'wrong') throw new CrossOriginError(403, 'access_denied', 'Wrong email or password.');
  if (result.user.blocked) throw new CrossOriginError(403, 'blocked_user', 'Blocked user');

  return issueLoginTicket(client, connection, result.user.user_id, at, deps);
}

/** A login ticket for the user, bound to the browser by the verifier the caller sets as a cookie. */
async function issueLoginTicket(
  client: Client,
  connection: string,
  userId: string,
  at: number,
  deps: CrossOriginDeps,
): Promise<LoginTicketResponse> {
  const response = { login_ticket: randomSecret(), co_verifier: randomSecret(), co_id: randomSecret(18) };
  await deps.stores.loginTickets.insert({
    ticket_hash: sha256(response.login_ticket),
    client_id: client.client_id,
    connection,
    user_id: userId,
    verifier_hash: sha256(response.co_verifier),
    created_at: at,
    expires_at: at + LOGIN_TICKET_LIFETIME_MS,
  });
  return response;
}

/**
 * auth0.js passwordlessLogin (Auth0 docs "Passwordless with Embedded Login"): the code sent by /passwordless/start,
 * redeemed under the same rules as the OTP grant (latest code, single use, three tries), for a login ticket.
 */
async function passwordlessTicket(
  client: Client,
  body: CrossOriginCredentials,
  request: { ip: string; userAgent: string | undefined },
  deps: CrossOriginDeps,
): Promise<LoginTicketResponse> {
  if (!body.username || !body.otp || !body.realm)
    throw new CrossOriginError(
      400,
      'invalid_request',
      'Invalid request body. All and only of client_id, credential_type, username, otp, realm are required.',
    );
  const connection = enabledPasswordlessConnection(await deps.stores.connections.getByName(body.realm), client);
  if (!connection) throw new CrossOriginError(400, 'invalid_request', `Unknown realm ${body.realm}.`);
  const at = deps.now();
  const event = {
    ip: request.ip,
    user_agent: request.userAgent,
    client_id: client.client_id,
    client_name: client.name,
    user_name: body.username.slice(0, 320),
    connection: connection.name,
    strategy: connection.strategy,
  };
  const identifier = passwordlessIdentifierOf(connection.strategy, body.username);
  try {
    if (!identifier) throw new PasswordlessCodeError('wrong', wrongCodeDescription(connection.strategy));
    await redeemCode(deps.stores, deps.passwordlessKey, {
      connection,
      identifier,
      code: body.otp,
      client_id: client.client_id,
      at,
    });
    const { user } = await signInWithCode(deps.stores, connection, identifier, at);
    if (user.blocked) throw new CrossOriginError(403, 'blocked_user', 'Blocked user');
    deps.audit.record({ type: 'scoa', user_id: user.user_id, ...event });
    return await issueLoginTicket(client, connection.name, user.user_id, at, deps);
  } catch (error) {
    if (!(error instanceof PasswordlessCodeError)) throw error;
    deps.audit.record({ type: 'fcoa', description: error.description, ...event });
    throw new CrossOriginError(403, 'access_denied', error.description);
  }
}

/** /authorize?login_ticket=…: the ticket's user when it is live and was made for this client, connection and browser. */
export async function redeemLoginTicket(
  ticket: { login_ticket: string; client_id: string; connection: string },
  verifier: string | undefined,
  deps: { stores: Pick<Stores, 'loginTickets'>; now: () => number },
): Promise<string | undefined> {
  if (!verifier || verifier.length > 200 || ticket.login_ticket.length > 200) return undefined;
  const redeemed = await deps.stores.loginTickets.consume(
    {
      ticket_hash: sha256(ticket.login_ticket),
      client_id: ticket.client_id,
      connection: ticket.connection,
      verifier_hash: sha256(verifier),
    },
    deps.now(),
  );
  return redeemed?.user_id;
}
