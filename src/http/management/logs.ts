// /api/v2/logs and /api/v2/users/{id}/logs (Auth0 Management API v2, "Logs"): the audit log's events, searched
// with `q` (log-search.ts), sorted by date, paged by page/per_page or from a checkpoint (`from` a log_id,
// `take` up to 100 events after it, oldest first). Events older than the retention are never answered.
import type { FastifyInstance } from 'fastify';
import type { LogEvent, Store } from '../../store/types.js';
import { notFound } from './errors.js';
import { parseLogQuery } from './log-search.js';
import { emptyPageQuery, type PageQuery, pageOf, pageQuery, paged } from './pagination.js';
import { answers, offsetPage } from './schemas/common.js';
import { logEvent } from './schemas/logs.js';

export interface LogRouteDeps {
  store: Store;
  retentionDays: number;
  now: () => number;
}

interface ListQuery extends PageQuery {
  q?: string;
  search?: string;
  sort: string;
  fields?: string;
  include_fields: boolean;
  from?: string;
  take?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
// Auth0 "Search log events" and "Get a log event by id": read:logs or read:logs_users.
const readLogs = ['read:logs', 'read:logs_users'];
const sortQuery = { sort: { type: 'string', pattern: '^date:(1|-1)$', default: 'date:-1' } } as const;
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 256 } },
} as const;

/** An event in Auth0's shape: ISO date, and no field that Gatehouse did not record. */
function view(event: LogEvent, query?: { fields?: string; include_fields: boolean }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) if (value !== null) out[key] = value;
  out.date = new Date(event.date).toISOString();
  if (!query?.fields) return out;
  // Auth0: `fields` lists fields to include, or to exclude when include_fields=false.
  const names = new Set(query.fields.split(',').map((f) => f.trim()));
  return Object.fromEntries(Object.entries(out).filter(([k]) => names.has(k) === query.include_fields));
}

export function logRoutes(app: FastifyInstance, { store, retentionDays, now }: LogRouteDeps) {
  const since = () => now() - retentionDays * DAY_MS;
  const order = (sort: string) => (sort === 'date:1' ? 'asc' : 'desc');

  app.get<{ Querystring: ListQuery }>(
    '/logs',
    {
      config: { scopes: readLogs },
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...emptyPageQuery,
            ...sortQuery,
            q: { type: 'string', maxLength: 2048 },
            // The auth0 SDK sends the search as `search`.
            search: { type: 'string', maxLength: 2048 },
            fields: { type: 'string', maxLength: 2048 },
            include_fields: { type: 'boolean', default: true },
            from: { type: 'string', minLength: 1, maxLength: 256 },
            take: { type: 'integer', minimum: 1, maximum: 100 },
          },
        },
        response: answers({ 200: offsetPage('logs', logEvent) }),
      },
    },
    async (request) => {
      const { query } = request;
      // Auth0: with `from`, every parameter but `take` is ignored; events after the checkpoint, oldest first.
      if (query.from !== undefined)
        return (await store.logs.after(query.from, query.take ?? 50, since())).map((e) => view(e));
      const filter = parseLogQuery(query.q ?? query.search ?? '', since());
      // Auth0: `take` alone answers the latest events.
      const page = query.take !== undefined ? { offset: 0, limit: query.take } : pageOf(query);
      const { logs, total } = await store.logs.list(filter, order(query.sort), page);
      return paged(
        'logs',
        query,
        logs.map((e) => view(e, query)),
        total,
      );
    },
  );

  app.get<{ Params: { id: string } }>(
    '/logs/:id',
    { config: { scopes: readLogs }, schema: { params: idParams, response: answers({ 200: logEvent }) } },
    async (request) => {
      const event = await store.logs.get(request.params.id);
      if (!event || event.date < since()) throw notFound('log', 'inexistent_log');
      return view(event);
    },
  );

  app.get<{ Params: { id: string }; Querystring: PageQuery & { sort: string } }>(
    '/users/:id/logs',
    {
      config: { scopes: readLogs },
      schema: {
        params: idParams,
        querystring: { type: 'object', properties: { ...pageQuery, ...sortQuery } },
        response: answers({ 200: offsetPage('logs', logEvent) }),
      },
    },
    async (request) => {
      const { query } = request;
      const filter = { user_id: request.params.id, since: since() };
      const { logs, total } = await store.logs.list(filter, order(query.sort), pageOf(query));
      return paged(
        'logs',
        query,
        logs.map((e) => view(e)),
        total,
      );
    },
  );
}
