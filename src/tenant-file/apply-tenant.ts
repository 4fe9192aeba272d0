import type { Stores, TenantSettings } from '../store/types.js';
import { changedFields } from './canonical.js';
import { checkUrl, TenantFileError } from './parse.js';

/** Tenant settings to change; null removes a setting. */
export type TenantPatch = { [K in keyof Omit<TenantSettings, 'gatehouse_initialized'>]?: TenantSettings[K] | null };

/**
 * The tenant settings: the declared fields are changed (null removes one), the rest kept. Also what
 * /api/v2/tenants/settings and /api/v2/branding write through.
 */
export async function applyTenant(tx: Stores, declared: TenantPatch): Promise<TenantSettings> {
  const current = await tx.tenant.get();
  const { default_audience, default_directory, allowed_logout_urls } = declared;
  if (default_audience && !(await tx.resourceServers.getByIdentifier(default_audience))) {
    throw new TenantFileError(`tenant: default_audience "${default_audience}" is not an API (resource server)`);
  }
  if (default_directory) {
    const connection = await tx.connections.getByName(default_directory);
    if (connection?.strategy !== 'auth0')
      throw new TenantFileError(`tenant: default_directory "${default_directory}" is not a database connection`);
  }
  for (const url of allowed_logout_urls ?? []) checkUrl('tenant', 'allowed_logout_urls', url);
  if (!Object.keys(changedFields(current as Record<string, unknown>, declared)).length) return current;
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(declared)) {
    if (value === null) delete next[key];
    else if (value !== undefined) next[key] = value;
  }
  await tx.tenant.put(next as TenantSettings);
  return next as TenantSettings;
}
