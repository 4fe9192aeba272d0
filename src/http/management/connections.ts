// /api/v2/connections (Auth0 Management API v2, "Connections"): list, get, create, patch, delete, and the
// enabled clients of one connection (GET/PATCH /connections/{id}/clients). Gatehouse has database (`auth0`)
// and passwordless (`email`, `sms`) connections. Every write goes through the tenant file's applyConnection
// in one transaction holding the `tenant` lock, so a client taken off a connection cannot sign in through
// it from the next request on, and a deleted connection's users are gone with it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Connection, Store } from '../../store/types.js';
import { applyConnection } from '../../tenant-file/apply-connection.js';
import type { DeclaredConnection } from '../../tenant-file/parse.js';
import { connectionSchema } from '../../tenant-file/schemas.js';
import { applying, ManagementError, notFound } from './errors.js';
import { type CheckpointQuery, checkpointQuery, listed, pageRequest } from './pagination.js';
import { answers, checkpointPage, noBody } from './schemas/common.js';
import { connection as connectionAnswer, enabledClients } from './schemas/connections.js';

// Auth0 "Update a connection": name and strategy are fixed once created.
const { name: _name, strategy: _strategy, ...changeable } = connectionSchema.properties;
const patchBody = { ...connectionSchema, required: [], properties: changeable } as const;
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;
const strategyName = { type: 'string', minLength: 1, maxLength: 64 } as const;
// Auth0 "Update enabled clients for a connection": at most 50 clients per request.
const enabledClientsBody = {
  type: 'array',
  minItems: 1,
  maxItems: 50,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['client_id', 'status'],
    properties: { client_id: { type: 'string', minLength: 1, maxLength: 128 }, status: { type: 'boolean' } },
  },
} as const;

interface ListQuery extends CheckpointQuery {
  strategy?: string | string[];
  name?: string;
}
type IdRequest = FastifyRequest<{ Params: { id: string } }>;
type ConnectionPatch = Omit<DeclaredConnection, 'name' | 'strategy'>;

const inexistent = () => notFound('connection', 'inexistent_connection');
const where = 'connection';

function view({ inert, ...connection }: Connection): Record<string, unknown> {
  return { ...inert, ...connection };
}

export function connectionRoutes(app: FastifyInstance, { store }: { store: Store }) {
  const read = { scopes: ['read:connections'] };
  const update = { scopes: ['update:connections'] };

  app.get<{ Querystring: ListQuery }>(
    '/connections',
    {
      config: read,
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...checkpointQuery,
            strategy: { anyOf: [strategyName, { type: 'array', maxItems: 20, items: strategyName }] },
            name: { type: 'string', minLength: 1, maxLength: 128 },
          },
        },
        response: answers({ 200: checkpointPage('connections', connectionAnswer) }),
      },
    },
    async ({ query }) => {
      const strategy = query.strategy === undefined ? undefined : [query.strategy].flat();
      const page = await store.connections.page({ strategy, name: query.name }, pageRequest(query));
      return listed('connections', query, page, page.items.map(view));
    },
  );

  const one = { params: idParams, response: answers({ 200: connectionAnswer }) };
  app.get('/connections/:id', { config: read, schema: one }, async (request: IdRequest) => {
    const connection = await store.connections.get(request.params.id);
    if (!connection) throw inexistent();
    return view(connection);
  });

  app.post<{ Body: DeclaredConnection }>(
    '/connections',
    {
      config: { scopes: ['create:connections'] },
      schema: { body: connectionSchema, response: answers({ 201: connectionAnswer }) },
    },
    async (request, reply) => {
      const connection = await store.transaction('tenant', async (tx) => {
        if (await tx.connections.getByName(request.body.name))
          throw new ManagementError(409, 'A connection with the same name already exists', 'conflict');
        return applying(() => applyConnection(tx, request.body, where));
      });
      return reply.code(201).send(view(connection));
    },
  );

  app.patch<{ Params: { id: string }; Body: ConnectionPatch }>(
    '/connections/:id',
    { config: update, schema: { params: idParams, body: patchBody, response: answers({ 200: connectionAnswer }) } },
    async (request) => {
      const connection = await store.transaction('tenant', async (tx) => {
        const existing = await tx.connections.get(request.params.id);
        if (!existing) throw inexistent();
        const declared = { ...request.body, name: existing.name, strategy: existing.strategy };
        return applying(() => applyConnection(tx, declared, where));
      });
      return view(connection);
    },
  );

  app.delete(
    '/connections/:id',
    {
      config: { scopes: ['delete:connections'] },
      schema: { params: idParams, response: answers({ 202: noBody, 204: noBody }) },
    },
    async (request: IdRequest, reply) => {
      const deleted = await store.transaction('tenant', (tx) => tx.connections.delete(request.params.id));
      // Auth0 "Delete a connection": 202 while it is being deleted (its users may take a while; here it is
      // complete by now), 204 when no such connection exists any more.
      return reply.code(deleted ? 202 : 204).send();
    },
  );

  app.get<{ Params: { id: string }; Querystring: { from?: string; take: number } }>(
    '/connections/:id/clients',
    {
      config: read,
      schema: {
        params: idParams,
        querystring: {
          type: 'object',
          // Auth0 "Get enabled clients for a connection": take from 1 to 1000.
          properties: { from: checkpointQuery.from, take: { ...checkpointQuery.take, maximum: 1000, default: 50 } },
        },
        response: answers({ 200: enabledClients }),
      },
    },
    async (request) => {
      const connection = await store.connections.get(request.params.id);
      if (!connection) throw inexistent();
      const { from, take } = request.query;
      const ids = connection.enabled_clients;
      const start = from === undefined ? 0 : ids.indexOf(from);
      const slice = start < 0 ? [] : ids.slice(start, start + take);
      const next = start >= 0 && start + take < ids.length ? ids[start + take] : undefined;
      const clients = slice.map((client_id) => ({ client_id }));
      return next === undefined ? { clients } : { clients, next };
    },
  );

  app.patch<{ Params: { id: string }; Body: { client_id: string; status: boolean }[] }>(
    '/connections/:id/clients',
    { config: update, schema: { params: idParams, body: enabledClientsBody, response: answers({ 204: noBody }) } },
    async (request, reply) => {
      await store.transaction('tenant', async (tx) => {
        const existing = await tx.connections.get(request.params.id);
        if (!existing) throw inexistent();
        const enabled = new Set(existing.enabled_clients);
        for (const { client_id, status } of request.body) {
          if (status) enabled.add(client_id);
          else enabled.delete(client_id);
        }
        const { name, strategy } = existing;
        await applying(() => applyConnection(tx, { name, strategy, enabled_clients: [...enabled] }, where));
      });
      return reply.code(204).send();
    },
  );
}
