// /api/v2/clients (Auth0 Management API v2, "Clients"): list, get, create, patch, delete, rotate-secret.
// Every write goes through the tenant file's applyClient, in one transaction holding the `tenant` lock, so
// the API and the tenant file accept and refuse the same clients; the cached store then drops every
// worker's caches before the answer (store/cache.ts), so a new, changed or deleted secret counts at once.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SecretBox } from '../../crypto/secret-box.js';
import { randomId, randomSecret } from '../../crypto/random.js';
import type { Client, Store, Stores } from '../../store/types.js';
import { applyClient } from '../../tenant-file/apply.js';
import { defaultAuthMethod } from '../../tenant-file/defaults.js';
import type { DeclaredClient } from '../../tenant-file/parse.js';
import { TenantFileError } from '../../tenant-file/parse.js';
import { clientSchema } from '../../tenant-file/schemas.js';
import { ManagementError, notFound } from './errors.js';
import { type PageQuery, pageOf, pageQuery, paged } from './pagination.js';

export interface ClientRouteDeps {
  store: Store;
  box: SecretBox;
}

const { client_id: _id, ...writable } = clientSchema.properties;
const createBody = { ...clientSchema, required: ['name'], properties: writable } as const;
const patchBody = { ...clientSchema, required: [], minProperties: 1, properties: writable } as const;
const fieldsQuery = {
  fields: { type: 'string', maxLength: 2048 },
  include_fields: { type: 'boolean', default: true },
} as const;
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

interface FieldsQuery {
  fields?: string;
  include_fields: boolean;
}
interface ListQuery extends PageQuery, FieldsQuery {
  app_type?: string;
  is_first_party?: boolean;
}
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

const inexistent = () => notFound('client', 'inexistent_client');

/** A client in Auth0's shape; the secret and the key credentials only for a token with read:client_keys. */
function view(client: Client, box: SecretBox, withKeys: boolean, query?: FieldsQuery): Record<string, unknown> {
  const { sealed_client_secret, client_authentication_methods, logo_uri, inert, ...fields } = client;
  const out: Record<string, unknown> = { ...inert, ...fields };
  if (logo_uri !== null) out.logo_uri = logo_uri;
  if (withKeys) {
    if (sealed_client_secret) out.client_secret = box.open(sealed_client_secret);
    if (client_authentication_methods) out.client_authentication_methods = client_authentication_methods;
  }
  if (!query?.fields) return out;
  // Auth0: `fields` lists fields to include, or to exclude when include_fields=false.
  const names = new Set(query.fields.split(',').map((f) => f.trim()));
  return Object.fromEntries(Object.entries(out).filter(([k]) => names.has(k) === query.include_fields));
}

/** The tenant file's checks, answered as the API's body errors. */
async function write(tx: Stores, declared: DeclaredClient, box: SecretBox): Promise<Client> {
  try {
    await applyClient(tx, declared, 'client', box);
  } catch (error) {
    if (error instanceof TenantFileError)
      throw new ManagementError(400, `Payload validation error: ${error.message}.`, 'invalid_body');
    throw error;
  }
  return (await tx.clients.get(declared.client_id))!;
}

const usesSecret = (method: string) => method !== 'none' && method !== 'private_key_jwt';

export function clientRoutes(app: FastifyInstance, { store, box }: ClientRouteDeps) {
  const withKeys = (request: FastifyRequest) => Boolean(request.caller?.scopes.has('read:client_keys'));
  const read = ['read:clients', 'read:client_keys'];

  app.get<{ Querystring: ListQuery }>(
    '/clients',
    {
      config: { scopes: read },
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            ...fieldsQuery,
            app_type: {
              type: 'string',
              pattern: '^(regular_web|spa|native|non_interactive)(,(regular_web|spa|native|non_interactive))*$',
            },
            is_first_party: { type: 'boolean' },
          },
        },
      },
    },
    async (request) => {
      const { query } = request;
      const filter = {
        app_type: query.app_type?.split(',') as Client['app_type'][] | undefined,
        is_first_party: query.is_first_party,
      };
      const { clients, total } = await store.clients.list(filter, pageOf(query));
      const keys = withKeys(request);
      return paged(
        'clients',
        query,
        clients.map((c) => view(c, box, keys, query)),
        total,
      );
    },
  );

  app.get<{ Params: { id: string }; Querystring: FieldsQuery }>(
    '/clients/:id',
    {
      config: { scopes: read },
      schema: { params: idParams, querystring: { type: 'object', properties: fieldsQuery } },
    },
    async (request) => {
      const client = await store.clients.get(request.params.id);
      if (!client) throw inexistent();
      return view(client, box, withKeys(request), request.query);
    },
  );

  app.post<{ Body: Omit<DeclaredClient, 'client_id'> }>(
    '/clients',
    { config: { scopes: ['create:clients'] }, schema: { body: createBody } },
    async (request, reply) => {
      const body = request.body;
      const method = body.token_endpoint_auth_method ?? defaultAuthMethod(body.app_type ?? 'regular_web');
      // Auth0 "Create a client": leave client_secret out to have a safe one generated (32 random bytes).
      const declared: DeclaredClient = { ...body, client_id: randomId('', 32) };
      if (usesSecret(method) && !body.client_authentication_methods) declared.client_secret ??= randomSecret(32);
      const client = await store.transaction('tenant', (tx) => write(tx, declared, box));
      // The creator learns the secret it could not otherwise read without read:client_keys.
      return reply.code(201).send(view(client, box, true));
    },
  );

  app.patch<{ Params: { id: string }; Body: Omit<DeclaredClient, 'client_id'> }>(
    '/clients/:id',
    { config: { scopes: ['update:clients', 'update:client_keys'] }, schema: { params: idParams, body: patchBody } },
    async (request) => {
      const { id } = request.params;
      const client = await store.transaction('tenant', async (tx) => {
        if (!(await tx.clients.get(id))) throw inexistent();
        return write(tx, { ...request.body, client_id: id }, box);
      });
      return view(client, box, withKeys(request));
    },
  );

  app.delete(
    '/clients/:id',
    { config: { scopes: ['delete:clients'] }, schema: { params: idParams } },
    async (request: IdRequest, reply) => {
      const deleted = await store.transaction('tenant', (tx) => tx.clients.delete(request.params.id));
      if (!deleted) throw inexistent();
      return reply.code(204).send();
    },
  );

  app.post(
    '/clients/:id/rotate-secret',
    { config: { scopes: ['update:client_keys'] }, schema: { params: idParams } },
    async (request: IdRequest) => {
      const { id } = request.params;
      const client = await store.transaction('tenant', async (tx) => {
        const existing = await tx.clients.get(id);
        if (!existing) throw inexistent();
        if (!usesSecret(existing.token_endpoint_auth_method))
          throw new ManagementError(400, 'The client does not authenticate with a client secret', 'invalid_body');
        return write(tx, { client_id: id, client_secret: randomSecret(32) }, box);
      });
      // Auth0 "Rotate a client secret": the answer is the client with its new secret.
      return view(client, box, true);
    },
  );
}
