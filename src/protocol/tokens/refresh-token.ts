// Refresh tokens (Auth0 docs: "Refresh Token Rotation", /docs/secure/tokens/refresh-tokens/refresh-token-rotation):
// random values stored as hashes, in families. Rotating clients (and every public client, RFC 9700 §4.14.2) get a new
// token on each use; the spent one may be retried only inside the client's leeway, and any other reuse revokes the family.
import { randomSecret } from '../../crypto/random.js';
import { sha256 } from '../../crypto/hash.js';
import type { Client, RefreshToken, RefreshTokenStore } from '../../store/types.js';

export function rotates(client: Client): boolean {
  return client.token_endpoint_auth_method === 'none' || client.refresh_token.rotation_type === 'rotating';
}

/** When a token passes its absolute or idle lifetime, whichever comes first; none for non-expiring clients. */
export function refreshTokenExpiresAt(token: RefreshToken, client: Client): number | undefined {
  const settings = client.refresh_token;
  // A token imported from another server also ends when it would have ended there.
  const imported = token.expires_at == null ? [] : [Number(token.expires_at)];
  if (settings.expiration_type !== 'expiring') return imported.length ? imported[0] : undefined;
  const limits: number[] = [...imported];
  if (!settings.infinite_token_lifetime) limits.push(token.family_created_at + settings.token_lifetime * 1000);
  if (!settings.infinite_idle_token_lifetime) limits.push(token.last_used_at + settings.idle_token_lifetime * 1000);
  return limits.length ? Math.min(...limits) : undefined;
}

/** Whether a token has passed its absolute or idle lifetime (none for non-expiring clients). */
export function refreshTokenExpired(token: RefreshToken, client: Client, now: number): boolean {
  const expiresAt = refreshTokenExpiresAt(token, client);
  return expiresAt !== undefined && now >= expiresAt;
}

export interface RefreshFamily {
  family_id: string;
  family_created_at: number;
  parent_hash: string;
  /** An imported family's end on the server that issued it: every successor keeps it. */
  expires_at?: number | null;
}

/** The id of a new family. */
export function newFamilyId(): string {
  return randomSecret(16);
}

/** What a new refresh token carries; the rest of its row (family, times, hash) is made here. */
export type NewRefreshToken = Pick<
  RefreshToken,
  'client_id' | 'user_id' | 'scope' | 'audience' | 'sid' | 'auth_time'
> & {
  /** Set when this token succeeds another of the same family. */
  family?: RefreshFamily;
  /** The id of the new family this token starts, when the caller fixed it beforehand. */
  newFamilyId?: string;
};

export async function mintRefreshToken(
  store: Pick<RefreshTokenStore, 'insert'>,
  input: NewRefreshToken,
  now: number,
): Promise<string> {
  const value = randomSecret();
  const { family, newFamilyId: fixedFamilyId, ...rest } = input;
  await store.insert({
    ...rest,
    token_hash: sha256(value),
    family_id: family?.family_id ?? fixedFamilyId ?? newFamilyId(),
    family_created_at: family?.family_created_at ?? now,
    parent_hash: family?.parent_hash ?? null,
    expires_at: family?.expires_at ?? null,
    created_at: now,
    last_used_at: now,
    rotated_at: null,
    revoked_at: null,
  });
  return value;
}
