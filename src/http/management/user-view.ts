// A user in Auth0's shape (Auth0 Management API v2, "Get a user"): ISO timestamps, one `auth0` identity, the
// sign-in activity once there is some, and never the password hash. Fields without a value are left out, as
// Auth0 leaves them out; `blocked` appears only while true.
import type { StoredUser } from '../../store/types.js';

export interface FieldsQuery {
  fields?: string;
  include_fields: boolean;
}

export const fieldsQuery = {
  fields: { type: 'string', maxLength: 2048 },
  include_fields: { type: 'boolean', default: true },
} as const;

const iso = (ms: number) => new Date(ms).toISOString();

export function userView(user: StoredUser, query?: FieldsQuery): Record<string, unknown> {
  const out: Record<string, unknown> = {
    user_id: user.user_id,
    email: user.email,
    email_verified: user.email_verified,
    username: user.username,
    phone_number: user.phone_number,
    phone_verified: user.phone_number === null ? null : user.phone_verified,
    name: user.name,
    given_name: user.given_name,
    family_name: user.family_name,
    nickname: user.nickname,
    picture: user.picture,
    user_metadata: user.user_metadata,
    app_metadata: user.app_metadata,
    blocked: user.blocked ? true : null,
    created_at: iso(user.created_at),
    updated_at: iso(user.updated_at),
    // Auth0: a database user's identity carries the id without the `auth0|` provider prefix.
    identities: [
      {
        connection: user.connection,
        user_id: user.user_id.replace(/^auth0\|/, ''),
        provider: 'auth0',
        isSocial: false,
      },
    ],
    last_login: user.last_login === null ? null : iso(user.last_login),
    last_ip: user.last_ip,
    logins_count: user.logins_count,
  };
  const present = Object.entries(out).filter(([, value]) => value !== null);
  if (!query?.fields) return Object.fromEntries(present);
  // Auth0: `fields` lists fields to include, or to exclude when include_fields=false.
  const names = new Set(query.fields.split(',').map((f) => f.trim()));
  return Object.fromEntries(present.filter(([k]) => names.has(k) === query.include_fields));
}

/**
 * Auth0 "Manage Metadata Using the Management API": only root properties are merged (nested objects are
 * replaced), a root property set to null is removed, and an empty object removes all of the metadata.
 */
export function mergeMetadata(current: Record<string, unknown>, patch: Record<string, unknown>) {
  if (Object.keys(patch).length === 0) return {};
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
