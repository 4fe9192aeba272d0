// /api/v2/client-grants (Auth0 Management API v2, "Client Grants"): list, get, create, patch, delete. A grant
// lets its client obtain tokens for the API with client_credentials; every write goes through the tenant
// file's applyClientGrant in one transaction holding the `tenant` lock, so the cached store drops every
// worker's caches before the answer and /oauth/token sees a new, changed or deleted grant at once.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ClientGrant, Store } from '../../store/types.js';
import { applyClientGrant } from '../../tenant-file/apply-client-grant.js';
import { clientGrantSchema } from '../../tenant-file/schemas.js';
import { applying, ManagementError, notFound } from './errors.js';
import { type CheckpointQuery, checkpointQuery, listed, pageRequest } from './pagination.js';
import { clientGrant } from './schemas/clients.js';
import { answers, checkpointPage, noBody } from './schemas/common.js';

const createBody = { ...clientGrantSchema, required: ['client_id', 'audience'] } as const;
const patchBody = {
  type: 'object',
  additionalProperties: false,
  properties: { scope: clientGrantSchema.properties.scope },
} as const;
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

interface ListQuery extends CheckpointQuery {
  client_id?: string;
  audience?: string;
}
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

const inexistent = () => notFound('client grant', 'inexistent_client_grant');
const where = 'client grant';

const view = ({ id, client_id, audience, scope }: ClientGrant) => ({ id, client_id, audience, scope });

export function clientGrantRoutes(app: FastifyInstance, { store }: { store: Store }) {
  app.get<{ Querystring: ListQuery }>(
    '/client-grants',
    {
      config: { scopes: ['read:client_grants'] },
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...checkpointQuery,
            client_id: { type: 'string', minLength: 1, maxLength: 128 },
            audience: { type: 'string', minLength: 1, maxLength: 600 },
          },
        },
        response: answers({ 200: checkpointPage('client_grants', clientGrant) }),
      },
    },
    async ({ query }) => {
      const filter = { client_id: query.client_id, audience: query.audience };
      const page = await store.clientGrants.list(filter, pageRequest(query));
      return listed('client_grants', query, page, page.items.map(view));
    },
  );

  app.get(
    '/client-grants/:id',
    {
      config: { scopes: ['read:client_grants'] },
      schema: { params: idParams, response: answers({ 200: clientGrant }) },
    },
    async (request: IdRequest) => {
      const grant = await store.clientGrants.get(request.params.id);
      if (!grant) throw inexistent();
      return view(grant);
    },
  );

  app.post<{ Body: { client_id: string; audience: string; scope?: string[] } }>(
    '/client-grants',
    {
      config: { scopes: ['create:client_grants'] },
      schema: { body: createBody, response: answers({ 201: clientGrant }) },
    },
    async (request, reply) => {
      const { client_id, audience, scope = [] } = request.body;
      const grant = await store.transaction('tenant', async (tx) => {
        // Auth0 "Create client grant": 404 for a client or an API that does not exist, 409 for a second
        // grant of one client to one API (its scopes are changed with PATCH instead).
        if (!(await tx.clients.get(client_id))) throw notFound('client', 'inexistent_client');
        if (!(await tx.resourceServers.getByIdentifier(audience)))
          throw new ManagementError(404, `No resource with identifier ${audience}`, 'inexistent_resource_server');
        if (await tx.clientGrants.find(client_id, audience))
          throw new ManagementError(409, 'A client grant for this client and audience already exists', 'conflict');
        return applying(() => applyClientGrant(tx, { client_id, audience, scope }, where));
      });
      return reply.code(201).send(view(grant));
    },
  );

  app.patch<{ Params: { id: string }; Body: { scope?: string[] } }>(
    '/client-grants/:id',
    {
      config: { scopes: ['update:client_grants'] },
      schema: { params: idParams, body: patchBody, response: answers({ 200: clientGrant }) },
    },
    async (request) => {
      const grant = await store.transaction('tenant', async (tx) => {
        const existing = await tx.clientGrants.get(request.params.id);
        if (!existing) throw inexistent();
        const scope = request.body?.scope ?? existing.scope;
        const { client_id, audience } = existing;
        return applying(() => applyClientGrant(tx, { client_id, audience, scope }, where));
      });
      return view(grant);
    },
  );

  app.delete(
    '/client-grants/:id',
    { config: { scopes: ['delete:client_grants'] }, schema: { params: idParams, response: answers({ 204: noBody }) } },
    async (request: IdRequest, reply) => {
      const deleted = await store.transaction('tenant', (tx) => tx.clientGrants.delete(request.params.id));
      if (!deleted) throw inexistent();
      return reply.code(204).send();
    },
  );
}
