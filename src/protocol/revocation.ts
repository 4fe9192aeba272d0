// POST /oauth/revoke without HTTP (RFC 7009; Auth0 docs: "Revoke Refresh Tokens",
// /docs/secure/tokens/refresh-tokens/revoke-refresh-tokens): the client authenticates as at the token
// endpoint, and a refresh token of its own is revoked with its whole family. Auth0 revokes refresh tokens
// only: an access token (a self-contained JWT) stays valid until it expires, and is answered like any
// token this endpoint does not hold.
import { sha256 } from '../crypto/hash.js';
import type { Store } from '../store/types.js';
import { authenticateClient, type ClientAuthDeps } from './client-auth.js';
import { missingParameter } from './errors.js';

export interface RevocationRequest {
  params: Readonly<Record<string, string | undefined>>;
  authorization: string | undefined;
}

export type RevocationDeps = ClientAuthDeps & {
  stores: Pick<Store, 'clients' | 'clientAssertions' | 'transaction'>;
  now: () => number;
};

/** The body parameters the endpoint reads besides client authentication's (RFC 7009 §2.1). */
export const revocationParameters = ['token', 'token_type_hint'] as const;

/**
 * Revokes the token's refresh token family when the token is a refresh token of the calling client.
 * RFC 7009 §2.2: an unknown, already revoked or otherwise invalid token is no error (the caller's goal, an
 * unusable token, is met), and a token of another client is left alone and answered the same (§2.1), so
 * that the answer tells nobody whether a token exists. token_type_hint only speeds a lookup up (§2.1),
 * and there is one kind of token to look up: it is accepted and not needed.
 */
export async function revokeToken(request: RevocationRequest, deps: RevocationDeps): Promise<void> {
  const { params } = request;
  if (!params.token) throw missingParameter('token');
  const { client } = await authenticateClient(request.authorization, params, deps);
  const hash = sha256(params.token);
  await deps.stores.transaction(null, async (tx) => {
    // The same locks as the refresh_token grant, in its order: the token's row, then the code the family
    // came from. A refresh in flight with this family commits first and its successor is revoked here, or it
    // waits for this revocation and then finds its token revoked.
    await tx.refreshTokens.lock(hash);
    const token = await tx.refreshTokens.get(hash);
    // A revoked or spent member of the family still names it: the family goes whatever state this token is in.
    if (!token || token.client_id !== client.client_id) return;
    await tx.codes.lockFamilyCode(token.family_id);
    await tx.refreshTokens.revokeFamily(token.family_id, deps.now());
  });
}
