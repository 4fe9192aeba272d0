// RFC 6749 §4.3, the resource owner password credentials grant, as Auth0 does it (Auth0 docs: "Resource Owner
// Password Flow" and "Call Your API Using Resource Owner Password Flow"): the user's e-mail (`username`) and
// password for a database connection are exchanged for the user's tokens, as a sign-in on the login page
// would give them. What password.ts and password-realm.ts share once each has named the connection.
//
// RFC 6749 §4.3.2: the endpoint must protect itself against brute force. Every password goes through the
// login page's attack protection (brute-force.ts): the attempt is counted against the end user's IP and the
// e-mail before the password is checked, and given back when it was right, so only failures count.
import { passwordAttemptType } from '../../audit/events.js';
import type { Client, Connection } from '../../store/types.js';
import { resolveAudience } from '../authorize/audience.js';
import { BLOCKED_DESCRIPTION, checkPasswordAttempt } from '../brute-force.js';
import { missingParameter, OAuthError } from '../errors.js';
import { THROTTLED_DESCRIPTION } from '../ip-throttle.js';
import { parseScope } from '../scopes.js';
import { issueUserTokens } from '../tokens/user-tokens.js';
import type { GrantDeps, GrantRequest, TokenResponse } from './types.js';

/** The connection, the user and what issuing user tokens reads and writes (tokens/user-tokens.ts). */
export type ResourceOwnerPart =
  | 'tenant'
  | 'connections'
  | 'users'
  | 'ipThrottles'
  | 'loginFailures'
  | 'resourceServers'
  | 'roles'
  | 'refreshTokens';

/**
 * A connection not enabled for the client, in the words Auth0 answers at /authorize (Auth0 documents none for
 * /oauth/token); a connection that does not exist gets the same, so the answer does not tell which names exist.
 */
export const connectionNotEnabled = () => new OAuthError('invalid_request', 'the connection is not enabled');

/** The database connection named, if it is enabled for the client; else Auth0's error. */
export function enabledDatabaseConnection(connection: Connection | undefined, client: Client): Connection {
  if (!connection?.enabled_clients.includes(client.client_id)) throw connectionNotEnabled();
  if (connection.strategy !== 'auth0')
    throw new OAuthError('invalid_request', `The connection "${connection.name}" does not sign in with passwords`);
  return connection;
}

/** `username` and `password`, present and non-empty (RFC 6749 §4.3.2: both are REQUIRED). */
export function credentialsOf(params: GrantRequest['params']): { username: string; password: string } {
  if (!params.username) throw missingParameter('username');
  if (!params.password) throw missingParameter('password');
  return { username: params.username, password: params.password };
}

/** Checks the password under attack protection and issues the user's tokens for the connection. */
export async function issueForPassword(
  request: GrantRequest,
  deps: GrantDeps<ResourceOwnerPart>,
  connection: Connection,
  credentials: { username: string; password: string },
): Promise<TokenResponse> {
  const { params, client, ip } = request;
  const { stores, now } = deps;
  request.subject = { user_name: credentials.username.slice(0, 320), connection: connection.name, strategy: 'auth0' };
  // The audience is checked before the password, so a request that cannot succeed spends no attempt.
  const audience = await resolveAudience(params.audience, stores);
  const api = audience === undefined ? undefined : await stores.resourceServers.getByIdentifier(audience);
  const result = await checkPasswordAttempt(
    {
      ipThrottles: stores.ipThrottles,
      loginFailures: stores.loginFailures,
      users: stores.users,
      passwords: deps.passwords,
    },
    { connection: connection.name, email: credentials.username, password: credentials.password, ip, at: now() },
  );
  if (result.outcome === 'throttled' || result.outcome === 'blocked')
    deps.audit.record({
      type: passwordAttemptType(result.outcome, false, 'sepft'),
      ip,
      client_id: client.client_id,
      client_name: client.name,
      ...request.subject,
    });
  if (result.outcome === 'throttled') throw new OAuthError('too_many_attempts', THROTTLED_DESCRIPTION);
  if (result.outcome === 'blocked') throw new OAuthError('too_many_attempts', BLOCKED_DESCRIPTION);
  // The same answer whether the e-mail has no account or the password is wrong (and in the same time: the
  // unknown e-mail is checked against a decoy hash).
  if (result.outcome === 'wrong') throw new OAuthError('invalid_grant', 'Wrong email or password.');
  const { user } = result;
  request.subject.user_id = user.user_id;
  if (user.blocked) throw new OAuthError('unauthorized', 'user is blocked');

  // Auth0: a password grant without `scope` for an API asks for every scope of that API (narrowed, as any
  // request, to what the user may have).
  const requestedScope = params.scope ? parseScope(params.scope) : (api?.scopes.map((s) => s.value) ?? []);
  const issued = await issueUserTokens(
    { client, user, requestedScope, audience, authTime: now(), gty: 'password' },
    deps,
  );
  return issued.response;
}
