// One row of a users file, as Auth0's bulk import takes it (Auth0 docs: "Bulk User Import Database Schema and
// Examples"), or as Auth0's password-hash export delivers it (NDJSON with `_id.$oid`, `passwordHash`, `tenant`,
// `connection`; Auth0 docs: "Export Data", password hashes), told apart by `_id`. A row becomes the user's fields and
// stored hash, or the errors Auth0 lists for it in GET /api/v2/jobs/{id}/errors.
import { Ajv, type ErrorObject } from 'ajv';
import { ImportedHashError, storedHashOf } from '../crypto/imported-hashes.js';
import type { ImportRowError, User } from '../store/types.js';
import { userSchema } from './schemas.js';

/** What a row sets on a user: the id it names (without `auth0|`), its profile and, when given, its password hash. */
export interface ImportRow {
  user_id?: string;
  email: string;
  profile: Partial<Pick<User, ProfileField>>;
  password_hash?: string;
}

type ProfileField =
  | 'email_verified'
  | 'username'
  | 'given_name'
  | 'family_name'
  | 'name'
  | 'nickname'
  | 'picture'
  | 'blocked'
  | 'user_metadata'
  | 'app_metadata'
  | 'phone_number'
  | 'phone_verified';

const p = userSchema.properties;
// Auth0 docs, "App metadata": these names may not be set in app_metadata by an import.
const RESERVED_APP_METADATA = [
  '__tenant',
  '_id',
  'blocked',
  'clientID',
  'created_at',
  'email_verified',
  'email',
  'globalClientID',
  'global_client_id',
  'identities',
  'lastIP',
  'lastLogin',
  'loginsCount',
  'metadata',
  'multifactor_last_modified',
  'multifactor',
  'updated_at',
  'user_id',
];
/** Fields Auth0's (and Gatehouse's) user exports write that an import has no use for: ignored, so an export imports. */
const EXPORT_ONLY = ['created_at', 'updated_at', 'last_login', 'last_ip', 'logins_count', 'identities', 'connection'];

const bulkSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['email'],
  properties: {
    email: p.email,
    email_verified: p.email_verified,
    // Auth0 prepends the connection's strategy; an id given with it (from an export) is taken without it.
    user_id: { type: 'string', pattern: '^(auth0\\|)?[A-Za-z0-9_.@+=-]{1,200}$' },
    username: p.username,
    given_name: p.given_name,
    family_name: p.family_name,
    name: p.name,
    nickname: p.nickname,
    picture: p.picture,
    blocked: p.blocked,
    app_metadata: { type: 'object', not: { anyOf: RESERVED_APP_METADATA.map((name) => ({ required: [name] })) } },
    user_metadata: p.user_metadata,
    // Not in Auth0's import schema, but in its exports: imported, so that an export imports whole.
    phone_number: p.phone_number,
    phone_verified: { type: 'boolean' },
    // Auth0: bcrypt $2a$ or $2b$ (the tenant file also takes $2y$, the same algorithm).
    password_hash: { type: 'string', pattern: '^\\$2[aby]\\$\\d{2}\\$[./A-Za-z0-9]{53}$' },
    custom_password_hash: { type: 'object' },
    ...Object.fromEntries(EXPORT_ONLY.map((name) => [name, {}])),
  },
  not: { required: ['password_hash', 'custom_password_hash'] },
} as const;

const exportSchema = {
  type: 'object',
  required: ['_id', 'email'],
  properties: {
    _id: {
      type: 'object',
      required: ['$oid'],
      properties: { $oid: { type: 'string', pattern: '^[A-Za-z0-9]{1,200}$' } },
    },
    email: p.email,
    email_verified: p.email_verified,
    username: p.username,
    passwordHash: bulkSchema.properties.password_hash,
  },
} as const;

const ajv = new Ajv({ allErrors: false, strict: false });
const validateBulk = ajv.compile(bulkSchema);
const validateExport = ajv.compile(exportSchema);

/** Auth0's error codes for a row that fails its schema (the codes of the z-schema validator Auth0 reports). */
function rowError(error: ErrorObject): ImportRowError['errors'][number] {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  switch (error.keyword) {
    case 'required': {
      const name = (error.params as { missingProperty: string }).missingProperty;
      return { code: 'OBJECT_MISSING_REQUIRED_PROPERTY', message: `Missing required property: ${name}`, path: name };
    }
    case 'additionalProperties': {
      const name = (error.params as { additionalProperty: string }).additionalProperty;
      return {
        code: 'OBJECT_ADDITIONAL_PROPERTIES',
        message: `Additional properties not allowed: ${name}`,
        path: name,
      };
    }
    case 'type':
      return { code: 'INVALID_TYPE', message: `Expected type ${(error.params as { type: string }).type}`, path };
    case 'not':
      return path === 'app_metadata'
        ? { code: 'INVALID_FORMAT', message: `app_metadata may not set: ${RESERVED_APP_METADATA.join(', ')}`, path }
        : { code: 'CONFLICT', message: 'password_hash and custom_password_hash are mutually exclusive', path: '' };
    default:
      return { code: 'INVALID_FORMAT', message: `${path || 'row'} ${error.message ?? 'is invalid'}`, path };
  }
}

const failed = (user: unknown, ...errors: ImportRowError['errors']): ImportRowError => ({
  user:
    typeof user === 'object' && user !== null && !Array.isArray(user)
      ? (user as Record<string, unknown>)
      : { value: user },
  errors,
});

/** A row of either format as the user's fields, or why it cannot be imported. */
export function importRow(row: unknown): ImportRow | ImportRowError {
  if (typeof row !== 'object' || row === null || Array.isArray(row))
    return failed(row, { code: 'INVALID_TYPE', message: 'Expected type object', path: '' });
  const fields = row as Record<string, unknown>;
  if ('_id' in fields) {
    if (!validateExport(fields)) return failed(row, rowError(validateExport.errors![0]));
    const { _id, email, email_verified, username, passwordHash } = fields as {
      _id: { $oid: string };
      email: string;
      email_verified?: boolean;
      username?: string;
      passwordHash?: string;
    };
    return {
      user_id: _id.$oid,
      email,
      profile: { ...(email_verified !== undefined ? { email_verified } : {}), ...(username ? { username } : {}) },
      ...(passwordHash ? { password_hash: passwordHash } : {}),
    };
  }
  if (!validateBulk(fields)) return failed(row, rowError(validateBulk.errors![0]));
  const { user_id, email, password_hash, custom_password_hash, ...rest } = fields as Record<string, unknown> & {
    user_id?: string;
    email: string;
    password_hash?: string;
  };
  let hash = password_hash;
  if (custom_password_hash !== undefined) {
    try {
      hash = storedHashOf(custom_password_hash);
    } catch (error) {
      if (!(error instanceof ImportedHashError)) throw error;
      return failed(row, {
        code: 'INVALID_FORMAT',
        message: `Error in custom_password_hash property - ${error.message}`,
        path: 'custom_password_hash',
      });
    }
  }
  const profile = Object.fromEntries(
    Object.entries(rest).filter(([name]) => !EXPORT_ONLY.includes(name)),
  ) as ImportRow['profile'];
  return {
    ...(user_id !== undefined ? { user_id: user_id.replace(/^auth0\|/, '') } : {}),
    email,
    profile,
    ...(hash !== undefined ? { password_hash: hash } : {}),
  };
}
