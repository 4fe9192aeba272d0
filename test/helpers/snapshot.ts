// A read-only picture of every row of every table, through a connection of its own, to prove that a
// start wrote nothing. Each row carries its physical row version (SQLite rowid, PostgreSQL xmin), so a
// row deleted and re-inserted with the same values, or updated to the same values, still shows up.
import { sql } from 'kysely';
import { openDatabase } from '../../src/store/kysely/db.js';

export type Snapshot = Record<string, Record<string, unknown>[]>;

/** `locks` holds counters that every locked transaction bumps by design (cache invalidation), not data. */
const notData = new Set(['locks']);

export async function snapshotDatabase(databaseUrl: string, only?: readonly string[]): Promise<Snapshot> {
  const { db, dialect } = openDatabase(databaseUrl);
  try {
    const tables = (await db.introspection.getTables({ withInternalKyselyTables: true }))
      .map((t) => t.name)
      .filter((name) => !notData.has(name) && (!only || only.includes(name)))
      .sort();
    const out: Snapshot = {};
    for (const table of tables) {
      const version = dialect === 'sqlite' ? sql`rowid` : sql`xmin::text`;
      const { rows } = await sql<
        Record<string, unknown>
      >`select ${version} as row_version, * from ${sql.table(table)}`.execute(db);
      out[table] = rows
        .map((row) => JSON.stringify(row))
        .sort()
        .map((row) => JSON.parse(row) as Record<string, unknown>);
    }
    return out;
  } finally {
    await db.destroy();
  }
}

/** `table: row` for every row that is in one snapshot and not the other: a readable assertion diff. */
export function changedRows(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const table of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = new Set((before[table] ?? []).map((r) => JSON.stringify(r)));
    const b = new Set((after[table] ?? []).map((r) => JSON.stringify(r)));
    for (const row of a) if (!b.has(row)) out.push(`- ${table}: ${row}`);
    for (const row of b) if (!a.has(row)) out.push(`+ ${table}: ${row}`);
  }
  return out.sort();
}
