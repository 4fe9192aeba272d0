import type { TenantSettings, TenantStore } from '../types.js';
import type { Executor } from './db.js';

export function tenantStore(db: Executor, now: () => number): TenantStore {
  return {
    async get() {
      const row = await db.selectFrom('tenant').select('settings').where('id', '=', 1).executeTakeFirst();
      return row ? (JSON.parse(row.settings) as TenantSettings) : {};
    },
    async put(settings) {
      const values = { id: 1, settings: JSON.stringify(settings), updated_at: now() };
      await db
        .insertInto('tenant')
        .values(values)
        .onConflict((oc) => oc.column('id').doUpdateSet({ settings: values.settings, updated_at: values.updated_at }))
        .execute();
    },
  };
}
