// Imports users into a database connection, as Auth0's bulk import does (Auth0 docs: "Bulk User Imports"):
// `user_id`s are kept (with the `auth0|` prefix), a user that exists already (same user_id, or same e-mail in the
// connection) is a failed row unless `upsert`, which updates it; every other row is imported whatever its
// neighbours do. Rows go in batches, each batch one transaction, so a file of any size takes bounded memory.
import type { Connection, ImportRowError, ImportSummary, Store, Stores, User } from '../store/types.js';
import { storageUnavailable } from '../store/unavailable.js';
import type { ImportElement } from './import-reader.js';
import { type ImportRow, importRow } from './import-row.js';
import { newUser } from './apply.js';

/** Rows per transaction: big enough to amortise a commit, small enough to keep memory flat. */
const BATCH = 500;

export interface ImportOptions {
  connection: Connection;
  upsert: boolean;
  now: () => number;
  /** Each failed row, as it is found (the CLI prints them; a job keeps them). */
  onError(error: ImportRowError): void;
  /** After each batch: rows handled so far. */
  onProgress?(summary: ImportSummary): void;
}

interface Pending {
  source: Record<string, unknown>;
  row: ImportRow;
}

const duplicated = (message: string) => ({ code: 'DUPLICATED_USER', message });

/** Applies one batch in the transaction; returns the rows that failed, with why. */
async function applyBatch(tx: Stores, batch: Pending[], options: ImportOptions, summary: ImportSummary) {
  const { connection, upsert } = options;
  const ids = batch.flatMap(({ row }) => (row.user_id ? [`auth0|${row.user_id}`] : []));
  const existing = await tx.users.findForImport(
    connection.name,
    ids,
    batch.map(({ row }) => row.email),
  );
  const byId = new Map(existing.map((user) => [user.user_id, user]));
  const byEmail = new Map(
    existing.flatMap((user) => (user.connection === connection.name && user.email ? [[user.email, user]] : [])),
  );
  const inserts = new Map<string, User>();
  const updates = new Map<string, Partial<User>>();
  const failures: ImportRowError[] = [];
  let inserted = 0;
  let updated = 0;
  const at = options.now();
  for (const { source, row } of batch) {
    const email = row.email.toLowerCase();
    const userId = row.user_id ? `auth0|${row.user_id}` : undefined;
    const match = (userId && byId.get(userId)) || byEmail.get(email);
    if (!match) {
      const user: User = {
        ...newUser({ user_id: row.user_id, email, connection: connection.name }, row.password_hash ?? null, at),
        ...row.profile,
      };
      inserts.set(user.user_id, user);
      byId.set(user.user_id, user);
      byEmail.set(email, user);
      inserted++;
      continue;
    }
    if (match.connection !== connection.name) {
      failures.push({
        user: source,
        errors: [duplicated(`The user_id ${match.user_id} belongs to another connection`)],
      });
    } else if (userId && match.user_id !== userId) {
      failures.push({ user: source, errors: [duplicated(`The email belongs to another user (${match.user_id})`)] });
    } else if (!upsert) {
      failures.push({ user: source, errors: [duplicated('The user already exist and upsert parameter is false')] });
    } else {
      // Auth0: an import that changes the e-mail address leaves it unverified unless the row says otherwise.
      const patch: Partial<User> = { ...row.profile, email };
      if (match.email !== email && row.profile.email_verified === undefined) patch.email_verified = false;
      if (row.password_hash) patch.password_hash = row.password_hash;
      const pending = inserts.get(match.user_id);
      if (pending) Object.assign(pending, patch);
      else {
        updates.set(match.user_id, { ...updates.get(match.user_id), ...patch });
        if (!inserts.has(match.user_id)) updated++;
      }
      Object.assign(match, patch);
      byEmail.set(email, match);
    }
  }
  await tx.users.insertMany([...inserts.values()]);
  for (const [userId, patch] of updates) await tx.users.update(userId, patch);
  summary.inserted += inserted;
  summary.updated += updated;
  return failures;
}

async function flush(
  store: Pick<Store, 'transaction'>,
  batch: Pending[],
  options: ImportOptions,
  summary: ImportSummary,
) {
  const report = (failures: ImportRowError[]) => {
    summary.failed += failures.length;
    for (const failure of failures) options.onError(failure);
  };
  try {
    report(await store.transaction(null, (tx) => applyBatch(tx, batch, options, summary)));
  } catch (error) {
    // A database that cannot be reached fails the whole import; it is not a fault of the rows.
    if (storageUnavailable(error)) throw error;
    if (batch.length === 1) {
      // A write the database refused (a user created meanwhile with the same e-mail, say): this row fails, the rest
      // go on. The driver's own text (constraint and column names) is for the log, not for the job's error list.
      report([
        {
          user: batch[0].source,
          errors: [{ code: 'CONFLICT', message: 'The user could not be written: it conflicts with a stored user' }],
        },
      ]);
      return;
    }
    // One row's failure rolls its batch back: the rows go again one by one, so that only that row fails.
    for (const one of batch) await flush(store, [one], options, summary);
  }
}

export async function importUsers(
  store: Pick<Store, 'transaction'>,
  elements: AsyncIterable<ImportElement>,
  options: ImportOptions,
): Promise<ImportSummary> {
  const summary: ImportSummary = { failed: 0, updated: 0, inserted: 0, total: 0 };
  let batch: Pending[] = [];
  for await (const element of elements) {
    summary.total++;
    if ('invalid' in element) {
      summary.failed++;
      options.onError({
        user: { value: element.invalid },
        errors: [{ code: 'INVALID_JSON', message: `The row is not JSON: ${element.reason}` }],
      });
      continue;
    }
    const row = importRow(element.value);
    if ('errors' in row) {
      summary.failed++;
      options.onError(row);
      continue;
    }
    batch.push({ source: element.value as Record<string, unknown>, row });
    if (batch.length >= BATCH) {
      await flush(store, batch, options, summary);
      batch = [];
      options.onProgress?.(summary);
    }
  }
  if (batch.length) await flush(store, batch, options, summary);
  options.onProgress?.(summary);
  return summary;
}
