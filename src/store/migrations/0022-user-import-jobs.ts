// Auth0's long-running jobs (Management API v2 "Jobs": users-imports, users-exports): their status, summary and
// errors live in the database, so that any instance answers GET /api/v2/jobs/{id} for a job another one runs.
// Refresh tokens imported from another server keep the expiry they had there (expires_at; null for ours).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('connection_id', 'text')
    /** The request's settings as Auth0 echoes them (external_id, upsert, format, fields, limit), JSON. */
    .addColumn('details', 'text', (c) => c.notNull())
    /** An import's uploaded file (at most 500 KB, as Auth0's), dropped once the job has run. */
    .addColumn('input', 'text')
    .addColumn('summary', 'text')
    .addColumn('errors', 'text')
    /** An export's file (gzip, base64), and the secret in its download URL (it guards only this file, kept beside it). */
    .addColumn('output', 'text')
    .addColumn('download_secret', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('refresh_tokens').addColumn('expires_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('refresh_tokens').dropColumn('expires_at').execute();
  await db.schema.dropTable('jobs').execute();
}
