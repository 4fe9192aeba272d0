// Offset and checkpoint paging over (created_at, id) order, shared by the stores the Management API lists.
import { type Expression, type SqlBool, sql } from 'kysely';
import type { Page, PageRequest } from '../types.js';

export interface Range {
  offset: number;
  limit: number;
  /** Start at this row (checkpoint paging). */
  from?: string;
}

/** Rows at or after the row with this id, in (created_at, <key>) order; none when that row is gone. */
export const atOrAfter = (table: string, id: string, key = 'id'): Expression<SqlBool> =>
  sql<SqlBool>`(created_at, ${sql.ref(key)}) >= (select created_at, ${sql.ref(key)} from ${sql.table(table)} where ${sql.ref(key)} = ${id})`;

/**
 * One page: by offset with the total, or a checkpoint page that reads one row more to learn the next page's
 * first id (Auth0's opaque `next`).
 */
export async function fetchPage<R extends { id: string }>(
  page: PageRequest,
  rows: (range: Range) => Promise<R[]>,
  count: () => Promise<number>,
): Promise<Page<R>> {
  if ('offset' in page) {
    const items = await rows(page);
    return { items, total: await count() };
  }
  const got = await rows({ offset: 0, limit: page.limit + 1, from: page.from });
  const items = got.slice(0, page.limit);
  return got.length > page.limit ? { items, next: got[page.limit].id } : { items };
}
