// Auth0's passwordless OTP grant (Auth0 docs: "Passwordless API", "Passwordless with Embedded Login"):
// grant_type=http://auth0.com/oauth/grant-type/passwordless/otp with `realm` (the `email` or `sms` connection),
// `username` (the address the code was sent to) and `otp` (the code), exchanged for the user's tokens as the
// password grant gives them. The code must be the address's latest, unused and unexpired, and issued to this
// client; a wrong one counts a try, and the third wrong try burns it.
import type { Client } from '../../store/types.js';
import { missingParameter, OAuthError } from '../errors.js';
import {
  enabledPasswordlessConnection,
  identifierOf,
  PasswordlessCodeError,
  redeemCode,
  signInWithCode,
  wrongCodeDescription,
} from '../passwordless.js';
import { resolveAudience } from '../authorize/audience.js';
import { parseScope } from '../scopes.js';
import { issueUserTokens } from '../tokens/user-tokens.js';
import { connectionNotEnabled } from './resource-owner.js';
import type { Grant } from './types.js';

export type PasswordlessOtpPart =
  | 'tenant'
  | 'connections'
  | 'users'
  | 'passwordlessCodes'
  | 'resourceServers'
  | 'roles'
  | 'refreshTokens';

export const passwordlessOtp: Grant<PasswordlessOtpPart> = {
  grantType: 'http://auth0.com/oauth/grant-type/passwordless/otp',
  parameters: ['realm', 'username', 'otp', 'audience', 'scope'],

  async handle(request, deps) {
    const { params, client } = request;
    const { stores, now } = deps;
    for (const name of ['realm', 'username', 'otp'] as const) if (!params[name]) throw missingParameter(name);
    const connection = enabledPasswordlessConnection(await stores.connections.getByName(params.realm!), client);
    if (!connection) throw connectionNotEnabled();
    request.subject = {
      user_name: params.username!.slice(0, 320),
      connection: connection.name,
      strategy: connection.strategy,
    };
    const identifier = identifierOf(connection.strategy, params.username);
    if (!identifier) throw new OAuthError('invalid_grant', wrongCodeDescription(connection.strategy));
    // The audience is checked before the code, so a request that cannot succeed spends no try.
    const audience = await resolveAudience(params.audience, stores);
    const api = audience === undefined ? undefined : await stores.resourceServers.getByIdentifier(audience);
    const user = await signIn(deps, connection, identifier, params.otp!, client, now());
    request.subject.user_id = user.user_id;
    if (user.blocked) throw new OAuthError('unauthorized', 'user is blocked');
    const requestedScope = params.scope ? parseScope(params.scope) : (api?.scopes.map((s) => s.value) ?? []);
    const issued = await issueUserTokens({ client, user, requestedScope, audience, authTime: now() }, deps);
    return issued.response;
  },
};

async function signIn(
  deps: Parameters<Grant<PasswordlessOtpPart>['handle']>[1],
  connection: NonNullable<ReturnType<typeof enabledPasswordlessConnection>>,
  identifier: string,
  code: string,
  client: Client,
  at: number,
) {
  try {
    await redeemCode(deps.stores, deps.passwordlessKey, {
      connection,
      identifier,
      code,
      client_id: client.client_id,
      at,
    });
    return (await signInWithCode(deps.stores, connection, identifier, at)).user;
  } catch (error) {
    if (error instanceof PasswordlessCodeError) throw new OAuthError('invalid_grant', error.description);
    throw error;
  }
}
