// RFC 6749 §4.1.3 with PKCE (RFC 7636). The code is consumed in one atomic statement before anything
// else; a second redemption is refused and revokes what the first one issued (RFC 6749 §4.1.2).
import { createHash, randomUUID } from 'node:crypto';
import { safeEqual, sha256 } from '../../crypto/random.js';
import { missingParameter, OAuthError } from '../errors.js';
import { issueUserTokens } from '../tokens/user-tokens.js';
import type { Grant } from './types.js';

/** Longest access token lifetime an API may set (30 days): how long a revoked id must be remembered. */
const MAX_ACCESS_TOKEN_LIFETIME_MS = 2_592_000_000;
const invalidCode = () => new OAuthError('invalid_grant', 'Invalid authorization code');

export const authorizationCode: Grant = {
  grantType: 'authorization_code',
  parameters: ['code', 'redirect_uri', 'code_verifier'],

  async handle({ params, client }, { stores, keyring, issuer, now }) {
    if (!params.code) throw missingParameter('code');
    const codeHash = sha256(params.code);
    // The access token's id is fixed before the code is spent, so a replay, however close, can revoke it.
    const jti = randomUUID();
    const code = await stores.codes.consume(codeHash, now(), { jti, expiresAt: now() + MAX_ACCESS_TOKEN_LIFETIME_MS });
    if (!code) {
      const spent = await stores.codes.get(codeHash);
      if (spent?.issued_jti && spent.issued_expires_at) await stores.revokedTokens.revoke(spent.issued_jti, spent.issued_expires_at);
      throw new OAuthError('invalid_grant', 'Invalid authorization code', { cause: spent ? 'code replayed' : 'unknown code' });
    }
    if (code.expires_at <= now() || code.client_id !== client.client_id) throw invalidCode();
    // §4.1.3: redirect_uri must be identical to the one of the authorization request.
    if (!params.redirect_uri) throw missingParameter('redirect_uri');
    if (params.redirect_uri !== code.redirect_uri) throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
    if (code.code_challenge) {
      // RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge.
      if (!params.code_verifier) throw new OAuthError('invalid_grant', 'Missing code_verifier');
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(params.code_verifier)) throw new OAuthError('invalid_grant', 'Invalid code_verifier');
      const computed = createHash('sha256').update(params.code_verifier).digest('base64url');
      if (!safeEqual(computed, code.code_challenge)) throw new OAuthError('invalid_grant', 'Failed to verify code_verifier');
    } else if (params.code_verifier !== undefined) {
      // RFC 9700 §4.8.2: a verifier for a code issued without a challenge is refused (PKCE downgrade).
      throw new OAuthError('invalid_grant', 'code_verifier sent for a code issued without code_challenge');
    }
    const user = await stores.users.get(code.user_id);
    if (!user) throw invalidCode();
    if (user.blocked) throw new OAuthError('unauthorized', 'user is blocked');

    const issued = await issueUserTokens(
      {
        client,
        user,
        requestedScope: code.scope.split(' ').filter(Boolean),
        audience: code.audience,
        nonce: code.nonce,
        sid: code.sid,
        authTime: code.auth_time,
        jti,
      },
      { stores, keyring, issuer, now },
    );
    return issued.response;
  },
};
