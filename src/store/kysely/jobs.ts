// Auth0's long-running jobs: one row each. A job is claimed in one statement (pending → processing), so that of
// two instances that might run it, exactly one does.
import type { Job, JobStore } from '../types.js';
import { parse, text } from './columns.js';
import type { Executor } from './db.js';
import type { JobTable } from './schema.js';

function jobOf(row: JobTable): Job {
  return {
    ...row,
    type: row.type as Job['type'],
    status: row.status as Job['status'],
    details: parse(row.details),
    summary: row.summary === null ? null : parse(row.summary),
    errors: row.errors === null ? null : parse(row.errors),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

export function jobStore(db: Executor): JobStore {
  return {
    async insert(job) {
      await db
        .insertInto('jobs')
        .values({
          ...job,
          details: text(job.details),
          summary: job.summary === null ? null : text(job.summary),
          errors: job.errors === null ? null : text(job.errors),
        })
        .execute();
    },
    async get(id) {
      const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return row && jobOf(row);
    },
    async claim(id, at) {
      const row = await db
        .updateTable('jobs')
        .set({ status: 'processing', updated_at: at })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .returningAll()
        .executeTakeFirst();
      return row && jobOf(row);
    },
    async finish(id, result, at) {
      await db
        .updateTable('jobs')
        .set({
          status: result.status,
          summary: result.summary === null ? null : text(result.summary),
          errors: result.errors === null ? null : text(result.errors),
          output: result.output,
          download_secret: result.download_secret,
          // The uploaded file is not kept once it has been read.
          input: null,
          updated_at: at,
        })
        .where('id', '=', id)
        .execute();
    },
  };
}
