import type { Page, PageRequest } from '../../store/types.js';

// Auth0's offset paging (Management API v2, "Pagination"): `page` is 0-based, `per_page` 50 by default and
// at most 100; `include_totals=true` wraps the page as {start, limit, length, total, <collection>}.
// `page` is bounded: JSON Schema's "integer" admits 1e309 (Infinity) and 1e20, whose offsets no database binds;
// 2^31 - 1 pages of 100 is past any table, and its offset fits the 64-bit OFFSET of SQLite and PostgreSQL.
export const pageQuery = {
  page: { type: 'integer', minimum: 0, maximum: 2147483647, default: 0 },
  per_page: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
  include_totals: { type: 'boolean', default: false },
} as const;

/** The same where Auth0 also takes per_page=0 (/users, /logs, /clients): an empty page, the totals still counted. */
export const emptyPageQuery = { ...pageQuery, per_page: { ...pageQuery.per_page, minimum: 0 } } as const;

export interface PageQuery {
  page: number;
  per_page: number;
  include_totals: boolean;
}

export const pageOf = (query: PageQuery) => ({ offset: query.page * query.per_page, limit: query.per_page });

export function paged<T>(collection: string, query: PageQuery, items: T[], total: number) {
  if (!query.include_totals) return items;
  return {
    start: query.page * query.per_page,
    limit: query.per_page,
    length: items.length,
    total,
    [collection]: items,
  };
}

// Auth0's checkpoint paging (Management API v2, "Pagination", checkpoint): `from` is the id to start at and
// `take` the page size (50 by default, at most 100); the answer is {<collection>, next} without totals,
// `next` naming where the next page starts and absent on the last page.
export const checkpointQuery = {
  ...pageQuery,
  from: { type: 'string', minLength: 1, maxLength: 256 },
  take: { type: 'integer', minimum: 1, maximum: 100 },
} as const;

export interface CheckpointQuery extends PageQuery {
  from?: string;
  take?: number;
}

const byCheckpoint = (query: CheckpointQuery) => query.from !== undefined || query.take !== undefined;

/** Checkpoint paging when `from` or `take` is given, else offset paging. */
export const pageRequest = (query: CheckpointQuery): PageRequest =>
  byCheckpoint(query) ? { from: query.from, limit: query.take ?? 50 } : pageOf(query);

/** A page in the shape its paging asked for. */
export function listed<T>(collection: string, query: CheckpointQuery, page: Page<unknown>, items: T[]) {
  if (!byCheckpoint(query)) return paged(collection, query, items, page.total ?? 0);
  return page.next === undefined ? { [collection]: items } : { [collection]: items, next: page.next };
}
