// Auth0's offset paging (Management API v2, "Pagination"): `page` is 0-based, `per_page` 50 by default and
// at most 100; `include_totals=true` wraps the page as {start, limit, length, total, <collection>}.
export const pageQuery = {
  page: { type: 'integer', minimum: 0, default: 0 },
  per_page: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
  include_totals: { type: 'boolean', default: false },
} as const;

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
