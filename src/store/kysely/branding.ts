// The Universal Login page template the tenant stored, if any.
import type { BrandingStore } from '../types.js';
import type { Executor } from './db.js';

export function brandingStore(db: Executor, now: () => number): BrandingStore {
  return {
    async getTemplate() {
      const row = await db
        .selectFrom('branding_templates')
        .select('body')
        .where('name', '=', 'universal-login')
        .executeTakeFirst();
      return row?.body;
    },
    async putTemplate(body) {
      const values = { name: 'universal-login', body, updated_at: now() };
      await db
        .insertInto('branding_templates')
        .values(values)
        .onConflict((oc) => oc.column('name').doUpdateSet({ body, updated_at: values.updated_at }))
        .execute();
    },
    async deleteTemplate() {
      await db.deleteFrom('branding_templates').where('name', '=', 'universal-login').execute();
    },
  };
}
