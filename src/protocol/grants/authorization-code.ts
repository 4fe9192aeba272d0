// RFC 6749 §4.1.3 with PKCE (RFC 7636). The code is consumed in one atomic statement before anything
// else; a second redemption is refused and revokes what the first one issued (RFC 6749 §4.1.2): the
// access token and the refresh token family, tokens rotated from it included.
//
// Both ids are fixed before the code is spent and recorded on its row, so a replay can revoke them however
// close it comes. A replay racing the first redemption may come between the consume and the refresh
// token's insert, when revoking the family finds nothing. So each side writes, then reads what the other
// wrote: the replay marks the code replayed, then revokes the family; the first redemption inserts its
// refresh token, then reads the mark and revokes the family itself if it is set. Whichever order the
// statements commit in, one side sees the other. (Rotations racing a replay are covered in refresh-token.ts.)
import { createHash, randomUUID } from 'node:crypto';
import { safeEqual, sha256 } from '../../crypto/hash.js';
import type { AuthorizationCode, Store } from '../../store/types.js';
import { missingParameter, OAuthError } from '../errors.js';
import { newFamilyId } from '../tokens/refresh-token.js';
import { issueUserTokens } from '../tokens/user-tokens.js';
import type { Grant } from './types.js';

/** Longest access token lifetime an API may set (30 days): how long a revoked id must be remembered. */
const MAX_ACCESS_TOKEN_LIFETIME_MS = 2_592_000_000;
const invalidCode = (cause?: string) => new OAuthError('invalid_grant', 'Invalid authorization code', { cause });

/** RFC 6749 §4.1.2: the tokens a replayed code's redemption issued are revoked, the whole refresh token family. */
async function revokeIssued(stores: Pick<Store, 'transaction'>, spent: AuthorizationCode, at: number): Promise<void> {
  await stores.transaction(null, async (tx) => {
    if (spent.issued_jti && spent.issued_expires_at)
      await tx.revokedTokens.revoke(spent.issued_jti, spent.issued_expires_at);
    if (spent.issued_family_id) await tx.refreshTokens.revokeFamily(spent.issued_family_id, at);
  });
}

/** The code's row, the user, and what issuing user tokens reads and writes (tokens/user-tokens.ts). */
type Part = 'codes' | 'users' | 'transaction' | 'resourceServers' | 'roles' | 'refreshTokens';

export const authorizationCode: Grant<Part> = {
  grantType: 'authorization_code',
  parameters: ['code', 'redirect_uri', 'code_verifier'],

  async handle(request, deps) {
    const { params, client } = request;
    const { stores, now } = deps;
    if (!params.code) throw missingParameter('code');
    const codeHash = sha256(params.code);
    // The access token's id and the refresh token family's are fixed before the code is spent, so a replay,
    // however close, can revoke them.
    const jti = randomUUID();
    const familyId = newFamilyId();
    const code = await stores.codes.consume(codeHash, now(), {
      jti,
      expiresAt: now() + MAX_ACCESS_TOKEN_LIFETIME_MS,
      familyId,
    });
    if (!code) {
      // The mark commits before the revocation: the first redemption reads it after inserting its refresh token.
      const spent = await stores.codes.markReplayed(codeHash, now());
      if (spent) await revokeIssued(stores, spent, now());
      throw invalidCode(spent ? 'code replayed' : 'unknown code');
    }
    request.subject = { user_id: code.user_id };
    if (code.expires_at <= now() || code.client_id !== client.client_id) throw invalidCode();
    // §4.1.3: redirect_uri must be identical to the one of the authorization request.
    if (!params.redirect_uri) throw missingParameter('redirect_uri');
    if (params.redirect_uri !== code.redirect_uri)
      throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
    if (code.code_challenge) {
      // RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) == code_challenge.
      if (!params.code_verifier) throw new OAuthError('invalid_grant', 'Missing code_verifier');
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(params.code_verifier))
        throw new OAuthError('invalid_grant', 'Invalid code_verifier');
      const computed = createHash('sha256').update(params.code_verifier).digest('base64url');
      if (!safeEqual(computed, code.code_challenge))
        throw new OAuthError('invalid_grant', 'Failed to verify code_verifier');
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
        newFamilyId: familyId,
      },
      deps,
    );
    if (issued.response.refresh_token && (await stores.codes.wasReplayed(codeHash))) {
      // A replay came between the consume and the insert: its revocation may have missed the new token. The
      // answer still goes out, as to any first redemption that a replay follows: what it carries is revoked.
      await stores.refreshTokens.revokeFamily(familyId, now());
    }
    return issued.response;
  },
};
