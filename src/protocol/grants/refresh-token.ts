// RFC 6749 §6 with Auth0's rotation (Auth0 docs: "Refresh Token Rotation",
// /docs/secure/tokens/refresh-tokens/refresh-token-rotation). Every refusal is 403 invalid_grant
// "Unknown or invalid refresh token.": auth0-spa-js falls back to the iframe only on that text.
//
// Spending a rotating token, detecting reuse and minting its successor happen in one transaction that
// first locks the token's row: of two requests racing with one token, the second waits for the first to
// commit, then finds the token spent and revokes the whole family, the first request's new token included.
// The same transaction locks the row of the authorization code the family came from: a replay of that code
// (RFC 6749 §4.1.2) marks it and then revokes the family, so it either waits for this transaction and then
// revokes the successor minted here too, or has marked the code already and the token is refused here.
import { sha256 } from '../../crypto/hash.js';
import type { RefreshToken, SigningAlg, Stores } from '../../store/types.js';
import { missingParameter, OAuthError } from '../errors.js';
import { type SigningKeys, signingAlgs } from '../keys/keyring.js';
import { parseScope } from '../scopes.js';
import { refreshTokenExpired, rotates } from '../tokens/refresh-token.js';
import { issueUserTokens } from '../tokens/user-tokens.js';
import type { Grant, GrantDeps, GrantRequest, TokenResponse } from './types.js';

const invalid = (cause: string) => new OAuthError('invalid_grant', 'Unknown or invalid refresh token.', { cause });

async function refresh(
  tx: Stores,
  request: GrantRequest,
  { issuer, now }: Pick<GrantDeps, 'issuer' | 'now'>,
  keyring: SigningKeys,
  hash: string,
): Promise<TokenResponse | OAuthError> {
  const { params, client } = request;
  await tx.refreshTokens.lock(hash);
  const at = now();
  const presented = await tx.refreshTokens.get(hash);
  if (!presented || presented.client_id !== client.client_id) return invalid('unknown token or another client');
  if (presented.revoked_at !== null) return invalid('revoked');
  if ((await tx.codes.lockFamilyCode(presented.family_id)).replayed) {
    await tx.refreshTokens.revokeFamily(presented.family_id, at);
    return invalid('family issued from a replayed authorization code: family revoked');
  }
  if (refreshTokenExpired(presented, client, at)) return invalid('expired');

  const rotating = rotates(client);
  /** The successor that a retry inside the leeway replaces. */
  let replaced: RefreshToken | undefined;
  if (rotating && presented.rotated_at !== null) {
    // Spent before. Inside the leeway only the immediately previous token may be retried: its successor
    // is then the family's active token, which this retry replaces. Any other reuse revokes the family.
    const active = await tx.refreshTokens.activeOfFamily(presented.family_id);
    const leeway = client.refresh_token.leeway * 1000;
    const retry = leeway > 0 && at - presented.rotated_at <= leeway && active?.parent_hash === hash;
    if (!retry) {
      await tx.refreshTokens.revokeFamily(presented.family_id, at);
      return invalid('reuse of a rotated refresh token: family revoked');
    }
    replaced = active;
  }

  // Refusals that follow leave the token as it was: a request that fails does not spend it.
  const user = await tx.users.get(presented.user_id);
  request.subject = { user_id: presented.user_id };
  if (!user) return invalid('user deleted');
  if (user.blocked) return new OAuthError('unauthorized', 'user is blocked');

  // RFC 6749 §6: a narrower scope may be asked for, never a wider one; a new token keeps the original.
  const original = parseScope(presented.scope);
  const requested = parseScope(params.scope);
  const widened = requested.filter((s) => !original.includes(s));
  if (widened.length)
    return new OAuthError('invalid_scope', `Scope not granted to this refresh token: ${widened.join(', ')}`);

  if (replaced) {
    await tx.refreshTokens.revoke(replaced.token_hash, at);
  } else if (rotating && !(await tx.refreshTokens.rotate(hash, at))) {
    // The row lock makes this unreachable; should it ever be reached, it is a reuse all the same.
    await tx.refreshTokens.revokeFamily(presented.family_id, at);
    return invalid('refresh token spent concurrently: family revoked');
  } else if (!rotating) {
    await tx.refreshTokens.touch(hash, at);
  }

  const issued = await issueUserTokens(
    {
      client,
      user,
      requestedScope: requested.length
        ? [...new Set([...requested, 'offline_access'])].filter((s) => original.includes(s))
        : original,
      refreshScope: original,
      audience: presented.audience,
      sid: presented.sid,
      authTime: presented.auth_time,
      gty: 'refresh_token',
      refresh: rotating
        ? {
            family_id: presented.family_id,
            family_created_at: presented.family_created_at,
            parent_hash: hash,
            expires_at: presented.expires_at,
          }
        : 'none',
    },
    { stores: tx, keyring, issuer, now },
  );
  return issued.response;
}

/** The store serves only to open the one transaction: every read and write goes through that transaction. */
export const refreshToken: Grant<'transaction'> = {
  grantType: 'refresh_token',
  parameters: ['refresh_token', 'scope'],

  async handle(request, deps) {
    if (!request.params.refresh_token) throw missingParameter('refresh_token');
    const hash = sha256(request.params.refresh_token);
    // The signing keys are read before the transaction: a keyring reload inside it would query outside the
    // transaction, which on SQLite waits for the one connection that the transaction holds, for ever.
    const keys = new Map(
      await Promise.all(signingAlgs.map(async (alg) => [alg, await deps.keyring.signingKey(alg)] as const)),
    );
    const pinned: SigningKeys = { signingKey: async (alg: SigningAlg) => keys.get(alg)! };
    // Refusals are returned, not thrown, so that a family revocation commits before the error is sent.
    const result = await deps.stores.transaction(null, (tx) => refresh(tx, request, deps, pinned, hash));
    if (result instanceof OAuthError) throw result;
    return result;
  },
};
