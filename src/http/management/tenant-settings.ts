// /api/v2/tenants/settings (Auth0 Management API v2, "Tenants"): get and patch, written through the tenant file's
// applyTenant in one transaction holding the `tenant` lock, so a new default_audience or session lifetime counts
// on every worker at once. Session lifetimes are hours on the wire and in storage, as Auth0 answers them. The
// Auth0 settings Gatehouse does not implement are checked for their type, stored and returned, without effect.
import type { FastifyInstance } from 'fastify';
import { DEFAULT_IDLE_SESSION_HOURS, DEFAULT_SESSION_HOURS } from '../../protocol/session.js';
import type { Store, TenantSettings } from '../../store/types.js';
import { applyTenant, type TenantPatch } from '../../tenant-file/apply-tenant.js';
import { TenantFileError } from '../../tenant-file/parse.js';
import { tenantInertFields as storedOnly, tenantSchema } from '../../tenant-file/schemas.js';
import { ManagementError } from './errors.js';
import { mergePatch } from './merge-patch.js';
import { answers } from './schemas/common.js';
import { tenantSettings } from './schemas/tenant.js';

const minutes = { type: 'integer', minimum: 1, maximum: 525600 } as const;

const patchBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...tenantSchema.properties,
    // An empty string clears the default (Auth0's dashboard sends one).
    default_audience: { type: 'string', maxLength: 2048 },
    default_directory: { type: 'string', maxLength: 128 },
    session_lifetime_in_minutes: minutes,
    idle_session_lifetime_in_minutes: minutes,
    ...storedOnly,
  },
} as const;

const fieldsQuery = {
  type: 'object',
  properties: {
    fields: { type: 'string', maxLength: 2048 },
    include_fields: { type: 'boolean', default: true },
  },
} as const;

interface FieldsQuery {
  fields?: string;
  include_fields: boolean;
}

/** The settings in Auth0's shape: the stored-only ones beside Gatehouse's, the session lifetimes with defaults. */
function view(settings: TenantSettings, query?: FieldsQuery): Record<string, unknown> {
  const { gatehouse_initialized: _, branding: __, stored_without_effect, ...fields } = settings;
  const all: Record<string, unknown> = {
    ...stored_without_effect,
    ...fields,
    session_lifetime: fields.session_lifetime ?? DEFAULT_SESSION_HOURS,
    idle_session_lifetime: fields.idle_session_lifetime ?? DEFAULT_IDLE_SESSION_HOURS,
    allowed_logout_urls: fields.allowed_logout_urls ?? [],
  };
  // In name order, whatever order the fields were written in: a tool that saves the answer as it comes (Auth0's
  // deploy CLI) then writes the same file for the same settings.
  const out = Object.fromEntries(Object.entries(all).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  if (!query?.fields) return out;
  // Auth0: `fields` lists fields to include, or to exclude when include_fields=false.
  const names = new Set(query.fields.split(',').map((f) => f.trim()));
  return Object.fromEntries(Object.entries(out).filter(([k]) => names.has(k) === query.include_fields));
}

const invalid = (message: string) => new ManagementError(400, `Payload validation error: ${message}.`, 'invalid_body');

/** The PATCH body as a change to the stored settings: minutes to hours, '' to "no default", the rest aside. */
function toPatch(body: Record<string, unknown>, current: TenantSettings): TenantPatch {
  const patch: Record<string, unknown> = {};
  const others: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key in storedOnly) others[key] = value;
    else patch[key] = value;
  }
  for (const name of ['session_lifetime', 'idle_session_lifetime']) {
    const inMinutes = patch[`${name}_in_minutes`];
    if (inMinutes === undefined) continue;
    // Auth0: "Cannot be specified together with `session_lifetime`."
    if (patch[name] !== undefined) throw invalid(`'${name}_in_minutes' cannot be given with '${name}'`);
    patch[name] = (inMinutes as number) / 60;
    delete patch[`${name}_in_minutes`];
  }
  for (const name of ['default_audience', 'default_directory']) if (patch[name] === '') patch[name] = null;
  if (Object.keys(others).length) {
    const merged = mergePatch(current.stored_without_effect ?? {}, others) as Record<string, unknown>;
    patch.stored_without_effect = Object.keys(merged).length ? merged : null;
  }
  return patch as TenantPatch;
}

export function tenantSettingsRoutes(app: FastifyInstance, { store }: { store: Store }) {
  app.get<{ Querystring: FieldsQuery }>(
    '/tenants/settings',
    {
      config: { scopes: ['read:tenant_settings'] },
      schema: { querystring: fieldsQuery, response: answers({ 200: tenantSettings }) },
    },
    async (request) => view(await store.tenant.get(), request.query),
  );

  app.patch<{ Body: Record<string, unknown> }>(
    '/tenants/settings',
    {
      config: { scopes: ['update:tenant_settings'] },
      schema: { body: patchBody, response: answers({ 200: tenantSettings }) },
    },
    async (request) => {
      const settings = await store.transaction('tenant', async (tx) => {
        try {
          return await applyTenant(tx, toPatch(request.body, await tx.tenant.get()));
        } catch (error) {
          if (error instanceof TenantFileError) throw invalid(error.message.replace(/^tenant: /, ''));
          throw error;
        }
      });
      return view(settings);
    },
  );
}
