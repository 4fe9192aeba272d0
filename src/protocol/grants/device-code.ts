// RFC 8628 §3.4, §3.5: the device polls with its device code. Each poll is recorded in one statement that
// also says whether it came too soon (slow_down, and the interval grows by 5 s); a code a person approved
// is spent in one statement, so parallel polls, from any instance, get the tokens once. The tokens are those
// of the code grant for the user and session that confirmed (tokens/user-tokens.ts: RBAC, offline_access).
import { sha256 } from '../../crypto/hash.js';
import { missingParameter, OAuthError } from '../errors.js';
import { DEVICE_CODE_GRANT } from '../device.js';
import { issueUserTokens } from '../tokens/user-tokens.js';
import type { Grant } from './types.js';

// Auth0's words (Auth0 docs: "Call Your API Using the Device Authorization Flow", token responses).
const invalidCode = () => new OAuthError('invalid_grant', 'Invalid or expired device code.');

type Part = 'deviceCodes' | 'users' | 'resourceServers' | 'roles' | 'refreshTokens';

export const deviceCode: Grant<Part> = {
  grantType: DEVICE_CODE_GRANT,
  parameters: ['device_code'],

  async handle(request, deps) {
    const { params, client } = request;
    const { stores, now } = deps;
    if (!params.device_code) throw missingParameter('device_code');
    const hash = sha256(params.device_code);
    const polled = await stores.deviceCodes.poll(hash, client.client_id, now());
    // Unknown, another client's, or already redeemed: RFC 8628 §3.5 leaves it to RFC 6749's invalid_grant.
    if (!polled || polled.code.redeemed_at !== null) throw invalidCode();
    const { code, tooFast } = polled;
    if (code.expires_at <= now()) throw new OAuthError('expired_token', 'The device code has expired.');
    if (tooFast) {
      const asked = code.poll_interval - 5;
      throw new OAuthError('slow_down', `You are polling faster than the specified interval of ${asked} seconds.`);
    }
    if (code.status === 'denied')
      throw new OAuthError('access_denied', 'User cancelled the confirmation prompt or consent page.');
    if (code.status === 'pending')
      throw new OAuthError('authorization_pending', 'User has yet to authorize device code.');

    const spent = await stores.deviceCodes.redeem(hash, client.client_id, now());
    if (!spent?.user_id) throw invalidCode();
    request.subject = { user_id: spent.user_id };
    const user = await stores.users.get(spent.user_id);
    if (!user) throw invalidCode();
    if (user.blocked) throw new OAuthError('unauthorized', 'user is blocked');
    const issued = await issueUserTokens(
      {
        client,
        user,
        requestedScope: spent.scope.split(' ').filter(Boolean),
        audience: spent.audience,
        sid: spent.sid,
        authTime: spent.auth_time ?? now(),
      },
      deps,
    );
    return issued.response;
  },
};
