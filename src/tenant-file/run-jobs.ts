// Runs Auth0's users-imports and users-exports jobs (Management API v2, "Jobs") after the request that created
// them has been answered. The job is claimed in one statement first, so it runs once even with several instances;
// its outcome is written to the database, where any instance reads it for GET /api/v2/jobs/{id}.
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { randomSecret } from '../crypto/random.js';
import type { ImportRowError, Store } from '../store/types.js';
import { type ExportField, type ExportFormat, exportUsers } from './export-users.js';
import { importElements } from './import-reader.js';
import { importUsers } from './import-users.js';

async function* textOf(text: string) {
  yield text;
}

/** Runs a users import; a file that is not JSON at all fails the whole job, as Auth0's does. */
export async function runImportJob(store: Store, id: string, now: () => number): Promise<void> {
  const job = await store.jobs.claim(id, now());
  if (!job) return;
  const connection = job.connection_id ? await store.connections.get(job.connection_id) : undefined;
  const errors: ImportRowError[] = [];
  try {
    if (!connection) throw new SyntaxError('the connection no longer exists');
    const summary = await importUsers(store, importElements(textOf(job.input ?? '')), {
      connection,
      upsert: job.details.upsert === true,
      now,
      onError: (error) => errors.push(error),
    });
    await store.jobs.finish(id, { status: 'completed', summary, errors, output: null, download_secret: null }, now());
  } catch (error) {
    if (!(error instanceof SyntaxError)) {
      await store.jobs.finish(
        id,
        { status: 'failed', summary: null, errors: null, output: null, download_secret: null },
        now(),
      );
      throw error;
    }
    const failed = { status: 'failed' as const, summary: null, output: null, download_secret: null };
    await store.jobs.finish(
      id,
      { ...failed, errors: [{ user: {}, errors: [{ code: 'INVALID_FILE', message: error.message }] }] },
      now(),
    );
  }
}

/** Runs a users export into a gzip file kept with the job, downloaded with a secret URL (GET /api/v2/jobs/{id}). */
export async function runExportJob(store: Store, id: string, now: () => number): Promise<void> {
  const job = await store.jobs.claim(id, now());
  if (!job) return;
  try {
    const connection = job.connection_id ? await store.connections.get(job.connection_id) : undefined;
    const chunks: Buffer[] = [];
    const sink = new PassThrough();
    sink.on('data', (chunk: Buffer) => chunks.push(chunk));
    await exportUsers(store.users, sink, {
      connection: connection?.name,
      format: job.details.format as ExportFormat,
      fields: job.details.fields as ExportField[] | undefined,
      limit: job.details.limit as number | undefined,
      withHashes: false,
    });
    sink.end();
    const secret = randomSecret();
    const output = gzipSync(Buffer.concat(chunks)).toString('base64');
    await store.jobs.finish(
      id,
      { status: 'completed', summary: null, errors: null, output, download_secret: secret },
      now(),
    );
  } catch (error) {
    await store.jobs.finish(
      id,
      { status: 'failed', summary: null, errors: null, output: null, download_secret: null },
      now(),
    );
    throw error;
  }
}
