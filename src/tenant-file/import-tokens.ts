// Refresh tokens issued by another server, so that apps keep their users signed in across a migration: each
// NDJSON row {token, user_id, client_id, audience, scope, expires_at} is stored as Gatehouse stores its own (the
// SHA-256 of the value, in a family of its own), so that grant_type=refresh_token with the old string works.
// It then follows the client's rotation and lifetime settings, and also ends at its expires_at.
import { sha256 } from '../crypto/hash.js';
import { newFamilyId } from '../protocol/tokens/refresh-token.js';
import type { ImportRowError, ImportSummary, Store, Stores } from '../store/types.js';
import type { ImportElement } from './import-reader.js';

const BATCH = 500;

interface TokenRow {
  token: string;
  user_id: string;
  client_id: string;
  audience: string | null;
  scope: string;
  expires_at: number | null;
}

const invalid = (row: unknown, message: string, path = ''): ImportRowError => ({
  user:
    typeof row === 'object' && row !== null
      ? { ...(row as Record<string, unknown>), token: '(hidden)' }
      : // A row that is not an object may be the token itself.
        { value: '(hidden)' },
  errors: [{ code: 'INVALID_FORMAT', message, path }],
});

/** expires_at as epoch seconds (a JWT's exp) or an ISO 8601 date; null or absent for a token that does not expire. */
function expiryOf(value: unknown): number | null | undefined {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.round(value * 1000);
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  return undefined;
}

function tokenRow(value: unknown): TokenRow | ImportRowError {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return invalid(value, 'Expected type object');
  const row = value as Record<string, unknown>;
  // RFC 6749 §1.5: the refresh token is a string opaque to the client; any printable value is kept as given.
  if (typeof row.token !== 'string' || !/^[\x21-\x7e]{8,2048}$/.test(row.token))
    return invalid(value, 'token must be a string of 8 to 2048 printable characters', 'token');
  for (const name of ['user_id', 'client_id'] as const)
    if (typeof row[name] !== 'string' || row[name] === '') return invalid(value, `${name} is required`, name);
  if (row.audience !== undefined && row.audience !== null && typeof row.audience !== 'string')
    return invalid(value, 'audience must be a string', 'audience');
  if (row.scope !== undefined && typeof row.scope !== 'string')
    return invalid(value, 'scope must be a string', 'scope');
  const expires = expiryOf(row.expires_at);
  if (expires === undefined)
    return invalid(value, 'expires_at must be epoch seconds or an ISO 8601 date', 'expires_at');
  return {
    token: row.token,
    user_id: row.user_id as string,
    client_id: row.client_id as string,
    audience: (row.audience as string | null | undefined) || null,
    scope: (row.scope as string | undefined) ?? '',
    expires_at: expires,
  };
}

async function checkAndInsert(
  tx: Stores,
  row: TokenRow,
  source: unknown,
  at: number,
): Promise<ImportRowError | undefined> {
  if (row.expires_at !== null && row.expires_at <= at) return invalid(source, 'the token has expired', 'expires_at');
  if (!(await tx.users.get(row.user_id))) return invalid(source, `no user ${row.user_id}`, 'user_id');
  const client = await tx.clients.get(row.client_id);
  if (!client) return invalid(source, `no client ${row.client_id}`, 'client_id');
  if (!client.grant_types.includes('refresh_token'))
    return invalid(source, `client ${row.client_id} may not use the refresh_token grant`, 'client_id');
  const hash = sha256(row.token);
  if (await tx.refreshTokens.get(hash)) return invalid(source, 'the token was imported already', 'token');
  await tx.refreshTokens.insert({
    token_hash: hash,
    family_id: newFamilyId(),
    parent_hash: null,
    client_id: row.client_id,
    user_id: row.user_id,
    scope: row.scope,
    audience: row.audience,
    sid: null,
    auth_time: at,
    family_created_at: at,
    created_at: at,
    last_used_at: at,
    rotated_at: null,
    revoked_at: null,
    expires_at: row.expires_at,
  });
  return undefined;
}

export async function importRefreshTokens(
  store: Pick<Store, 'transaction'>,
  elements: AsyncIterable<ImportElement>,
  options: { now: () => number; onError(error: ImportRowError): void },
): Promise<ImportSummary> {
  const summary: ImportSummary = { failed: 0, updated: 0, inserted: 0, total: 0 };
  let batch: { row: TokenRow; source: unknown }[] = [];
  const flush = async () => {
    const failures = await store.transaction(null, async (tx) => {
      const found: ImportRowError[] = [];
      for (const { row, source } of batch) {
        const failure = await checkAndInsert(tx, row, source, options.now());
        if (failure) found.push(failure);
        else summary.inserted++;
      }
      return found;
    });
    summary.failed += failures.length;
    for (const failure of failures) options.onError(failure);
    batch = [];
  };
  for await (const element of elements) {
    summary.total++;
    const row =
      'invalid' in element
        ? // JSON.parse's reason quotes the text around the fault, which may be the token.
          invalid(element.invalid, 'The row is not JSON')
        : tokenRow(element.value);
    if ('errors' in row) {
      summary.failed++;
      options.onError(row);
      continue;
    }
    batch.push({ row, source: (element as { value: unknown }).value });
    if (batch.length >= BATCH) await flush();
  }
  if (batch.length) await flush();
  return summary;
}
