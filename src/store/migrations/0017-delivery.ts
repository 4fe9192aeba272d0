// E-mail and text-message delivery: the outbox (messages rendered when queued, sent after the HTTP answer,
// retried with backoff; delivery/outbox.ts) and the e-mail templates the Management API replaces
// (/api/v2/email-templates). claimed_until is the lease that keeps two workers from sending one row at once;
// the (next_attempt_at) index serves the sweep for due rows.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('kind', 'text')
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('sender', 'text')
    .addColumn('subject', 'text')
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('html_body', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('claimed_until', 'bigint', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('outbox_due').on('outbox').column('next_attempt_at').execute();
  await db.schema
    .createTable('email_templates')
    .addColumn('template', 'text', (c) => c.primaryKey())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('sender', 'text')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('result_url', 'text')
    .addColumn('url_lifetime_in_seconds', 'integer')
    .addColumn('include_email_in_redirect', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('email_templates').execute();
  await db.schema.dropTable('outbox').execute();
}
