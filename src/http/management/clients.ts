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
import { type CheckpointQuery, checkpointQuery, emptyPageQuery, listed, pageRequest } from './pagination.js';
import { client as clientAnswer } from './schemas/clients.js';
import { answers, checkpointPage, noBody } from './schemas/common.js';

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
interface ListQuery extends CheckpointQuery, FieldsQuery {
  app_type?: string;
  is_first_party?: boolean;
  q?: string;
}
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

const inexistent = () => notFound('client', 'inexistent_client');

// Auth0's application types (the SDK's ClientAppTypeEnum): the list filters on any of them; Gatehouse's
// clients have the first four, so the others find none.
const appTypeNames = [
  'regular_web',
  'spa',
  'native',
  'non_interactive',
  'resource_server',
  'express_configuration',
  'rms',
  'box',
  'cloudbees',
  'concur',
  'dropbox',
  'mscrm',
  'echosign',
  'egnyte',
  'newrelic',
  'office365',
  'salesforce',
  'sentry',
  'sharepoint',
  'slack',
  'springcm',
  'sso_integration',
  'zendesk',
  'zoom',
].join('|');

/**
 * How much of a client a token may read (Auth0 "Get clients"): read:client_summary alone sees client_id,
 * app_type, name and description; read:client_keys or read:client_credentials also the secret and the
 * key credentials; read:clients the rest.
 */
type Detail = 'summary' | 'full' | 'secrets';
const SUMMARY = ['client_id', 'app_type', 'name', 'description'];

function detailFor(request: FastifyRequest): Detail {
  const held = (scope: string) => Boolean(request.caller?.scopes.has(scope));
  if (held('read:client_keys') || held('read:client_credentials')) return 'secrets';
  return held('read:clients') ? 'full' : 'summary';
}

/** A client in Auth0's shape, with as much as `detail` allows. */
function view(client: Client, box: SecretBox, detail: Detail, query?: FieldsQuery): Record<string, unknown> {
  const { sealed_client_secret, client_authentication_methods, logo_uri, inert, ...fields } = client;
  let out: Record<string, unknown> = { ...inert, ...fields };
  if (logo_uri !== null) out.logo_uri = logo_uri;
  if (detail === 'secrets') {
    if (sealed_client_secret) out.client_secret = box.open(sealed_client_secret);
    if (client_authentication_methods) out.client_authentication_methods = client_authentication_methods;
  }
  if (detail === 'summary') out = Object.fromEntries(Object.entries(out).filter(([k]) => SUMMARY.includes(k)));
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
  const read = ['read:clients', 'read:client_keys', 'read:client_credentials', 'read:client_summary'];

  app.get<{ Querystring: ListQuery }>(
    '/clients',
    {
      config: { scopes: read },
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...checkpointQuery,
            ...emptyPageQuery,
            ...fieldsQuery,
            app_type: { type: 'string', pattern: `^(${appTypeNames})(,(${appTypeNames}))*$` },
            is_first_party: { type: 'boolean' },
            q: { type: 'string', maxLength: 2048 },
          },
        },
        response: answers({ 200: checkpointPage('clients', clientAnswer) }),
      },
    },
    async (request) => {
      const { query } = request;
      // Auth0 searches clients with `q`; Gatehouse does not, and says so rather than answer every client.
      if (query.q !== undefined)
        throw new ManagementError(
          400,
          "Query validation error: 'q' is not supported: Gatehouse does not search clients; filter with app_type or is_first_party.",
          'invalid_query_string',
        );
      const filter = { app_type: query.app_type?.split(','), is_first_party: query.is_first_party };
      const page = await store.clients.list(filter, pageRequest(query));
      const detail = detailFor(request);
      return listed(
        'clients',
        query,
        page,
        page.items.map((c) => view(c, box, detail, query)),
      );
    },
  );

  app.get<{ Params: { id: string }; Querystring: FieldsQuery }>(
    '/clients/:id',
    {
      config: { scopes: read },
      schema: {
        params: idParams,
        querystring: { type: 'object', properties: fieldsQuery },
        response: answers({ 200: clientAnswer }),
      },
    },
    async (request) => {
      const client = await store.clients.get(request.params.id);
      if (!client) throw inexistent();
      return view(client, box, detailFor(request), request.query);
    },
  );

  app.post<{ Body: Omit<DeclaredClient, 'client_id'> }>(
    '/clients',
    { config: { scopes: ['create:clients'] }, schema: { body: createBody, response: answers({ 201: clientAnswer }) } },
    async (request, reply) => {
      const body = request.body;
      const method = body.token_endpoint_auth_method ?? defaultAuthMethod(body.app_type ?? 'regular_web');
      // Auth0 "Create a client": leave client_secret out to have a safe one generated (32 random bytes).
      const declared: DeclaredClient = { ...body, client_id: randomId('', 32) };
      if (usesSecret(method) && !body.client_authentication_methods) declared.client_secret ??= randomSecret(32);
      const client = await store.transaction('tenant', (tx) => write(tx, declared, box));
      // The creator learns the secret it could not otherwise read without read:client_keys.
      return reply.code(201).send(view(client, box, 'secrets'));
    },
  );

  app.patch<{ Params: { id: string }; Body: Omit<DeclaredClient, 'client_id'> }>(
    '/clients/:id',
    {
      // Auth0 "Update a client": update:clients, update:client_keys or update:client_credentials.
      config: { scopes: ['update:clients', 'update:client_keys', 'update:client_credentials'] },
      schema: { params: idParams, body: patchBody, response: answers({ 200: clientAnswer }) },
    },
    async (request) => {
      const { id } = request.params;
      const client = await store.transaction('tenant', async (tx) => {
        if (!(await tx.clients.get(id))) throw inexistent();
        return write(tx, { ...request.body, client_id: id }, box);
      });
      // The secret only to a token that could read it; the rest of the client to any updater.
      return view(client, box, detailFor(request) === 'secrets' ? 'secrets' : 'full');
    },
  );

  app.delete(
    '/clients/:id',
    { config: { scopes: ['delete:clients'] }, schema: { params: idParams, response: answers({ 204: noBody }) } },
    async (request: IdRequest, reply) => {
      const deleted = await store.transaction('tenant', (tx) => tx.clients.delete(request.params.id));
      if (!deleted) throw inexistent();
      return reply.code(204).send();
    },
  );

  app.post(
    '/clients/:id/rotate-secret',
    {
      config: { scopes: ['update:client_keys'] },
      schema: { params: idParams, response: answers({ 200: clientAnswer }) },
    },
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
      return view(client, box, 'secrets');
    },
  );
}
