// /api/v2/resource-servers (Auth0 Management API v2, "Resource Servers", the dashboard's APIs): list, get,
// create, patch, delete. Every write goes through the tenant file's applyResourceServer in one transaction
// holding the `tenant` lock, so the next token carries a changed lifetime or may ask for a new scope at once.
// The Management API itself is Gatehouse's own: it cannot be changed or deleted here.
import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ResourceServer, Store } from '../../store/types.js';
import { applyResourceServer } from '../../tenant-file/apply-resource-server.js';
import type { DeclaredResourceServer } from '../../tenant-file/parse.js';
import { resourceServerSchema } from '../../tenant-file/schemas.js';
import { applying, ManagementError, notFound } from './errors.js';
import { type PageQuery, pageOf, pageQuery, paged } from './pagination.js';
import { answers, noBody, offsetPage } from './schemas/common.js';
import { resourceServer } from './schemas/resource-servers.js';

export interface ResourceServerRouteDeps {
  store: Store;
  managementAudience: string;
}

// Auth0 "Update a resource server": the identifier is fixed once created.
const { identifier: _identifier, ...changeable } = resourceServerSchema.properties;
const patchBody = { ...resourceServerSchema, required: [], properties: changeable } as const;
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 600 } },
} as const;

const identifier = { type: 'string', minLength: 1, maxLength: 600 } as const;

interface ListQuery extends PageQuery {
  identifiers?: string | string[];
}
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

const inexistent = () => notFound('resource server', 'inexistent_resource_server');
const builtIn = () =>
  new ManagementError(
    403,
    'The Management API is built in and cannot be changed or deleted',
    'operation_not_supported',
  );
const where = 'resource server';

function view({ inert, ...api }: ResourceServer): Record<string, unknown> {
  return { ...inert, ...api };
}

export function resourceServerRoutes(app: FastifyInstance, { store, managementAudience }: ResourceServerRouteDeps) {
  const read = { scopes: ['read:resource_servers'] };

  app.get<{ Querystring: ListQuery }>(
    '/resource-servers',
    {
      config: read,
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            // Auth0 "Get resource servers": `identifiers`, repeated, names the APIs to answer.
            identifiers: { anyOf: [identifier, { type: 'array', minItems: 1, maxItems: 100, items: identifier }] },
          },
        },
        response: answers({ 200: offsetPage('resource_servers', resourceServer) }),
      },
    },
    async ({ query }) => {
      const identifiers = query.identifiers === undefined ? undefined : [query.identifiers].flat();
      const page = await store.resourceServers.list({ identifiers }, pageOf(query));
      return paged('resource_servers', query, page.items.map(view), page.total ?? 0);
    },
  );

  const one = { params: idParams, response: answers({ 200: resourceServer }) };
  app.get('/resource-servers/:id', { config: read, schema: one }, async (request: IdRequest) => {
    const api = await store.resourceServers.get(request.params.id);
    if (!api) throw inexistent();
    return view(api);
  });

  app.post<{ Body: DeclaredResourceServer }>(
    '/resource-servers',
    {
      config: { scopes: ['create:resource_servers'] },
      schema: { body: resourceServerSchema, response: answers({ 201: resourceServer }) },
    },
    async (request, reply) => {
      const api = await store.transaction('tenant', async (tx) => {
        // Auth0 answers 409 for an identifier already taken (the Management API's included).
        if (await tx.resourceServers.getByIdentifier(request.body.identifier))
          throw new ManagementError(409, 'A resource server with the same identifier already exists', 'conflict');
        return applying(() => applyResourceServer(tx, request.body, where, managementAudience));
      });
      return reply.code(201).send(view(api));
    },
  );

  app.patch<{ Params: { id: string }; Body: Omit<DeclaredResourceServer, 'identifier'> }>(
    '/resource-servers/:id',
    {
      config: { scopes: ['update:resource_servers'] },
      schema: { params: idParams, body: patchBody, response: answers({ 200: resourceServer }) },
    },
    async (request) => {
      const api = await store.transaction('tenant', async (tx) => {
        const existing = await tx.resourceServers.get(request.params.id);
        if (!existing) throw inexistent();
        if (existing.is_system) {
          // A tool that writes back what it read (Auth0's deploy CLI restates the Management API's lifetime and
          // consent settings) changes nothing, and that is allowed; any change is not.
          const current = view(existing);
          if (Object.entries(request.body).every(([field, value]) => isDeepStrictEqual(value, current[field])))
            return existing;
          throw builtIn();
        }
        const declared = { ...request.body, identifier: existing.identifier };
        return applying(() => applyResourceServer(tx, declared, where, managementAudience));
      });
      return view(api);
    },
  );

  app.delete(
    '/resource-servers/:id',
    {
      config: { scopes: ['delete:resource_servers'] },
      schema: { params: idParams, response: answers({ 204: noBody }) },
    },
    async (request: IdRequest, reply) => {
      await store.transaction('tenant', async (tx) => {
        const existing = await tx.resourceServers.get(request.params.id);
        if (!existing) throw inexistent();
        if (existing.is_system) throw builtIn();
        // Its client grants and the role permissions naming it go in the same transaction.
        await tx.resourceServers.delete(existing.id);
      });
      return reply.code(204).send();
    },
  );
}
