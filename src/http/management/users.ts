// /api/v2/users, /api/v2/users-by-email and /api/v2/stats/active-users (Auth0 Management API v2, "Users" and
// "Stats"). Users of database connections only: created with a password that meets the connection's policy
// (the check /dbconnections/signup makes), hashed with argon2id before the transaction. Users are not cached,
// so their writes take no lock (no cache has to drop); each is one transaction.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuditLog } from '../../audit/events.js';
import type { Passwords } from '../../crypto/passwords.js';
import { meetsPolicy } from '../../protocol/password-policy.js';
import type { Connection, Patch, Store, Stores, User, UserFilter, UserSortField } from '../../store/types.js';
import { userSortFields } from '../../store/types.js';
import { databaseConnection, newUser } from '../../tenant-file/apply.js';
import type { DeclaredUser } from '../../tenant-file/parse.js';
import { TenantFileError } from '../../tenant-file/parse.js';
import { userSchema } from '../../tenant-file/schemas.js';
import { ManagementError, notFound } from './errors.js';
import { emptyPageQuery, type PageQuery, pageOf, paged } from './pagination.js';
import { parseUserQuery, QuerySyntaxError } from './user-query.js';
import { type FieldsQuery, fieldsQuery, mergeMetadata, userView } from './user-view.js';
import { answers, integer, noBody, offsetPage } from './schemas/common.js';
import { user as userAnswer } from './schemas/users.js';

export interface UserRouteDeps {
  store: Store;
  passwords: Pick<Passwords, 'hash'>;
  audit: AuditLog;
  now: () => number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
// Auth0 "List or search users" and "Get a user": read:users or read:user_idp_tokens.
const readUsers = ['read:users', 'read:user_idp_tokens'];
const { password_hash: _hash, ...declared } = userSchema.properties;
const nullable = <S extends { type: string }>(schema: S) => ({ ...schema, type: [schema.type, 'null'] }) as const;

const createBody = {
  type: 'object',
  additionalProperties: false,
  required: ['connection'],
  properties: { ...declared, phone_verified: { type: 'boolean' }, verify_email: { type: 'boolean' } },
} as const;
// Auth0 "Update a user": the attributes that can be updated at the root level, `null` unsetting one.
const patchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    blocked: { type: 'boolean' },
    email_verified: { type: 'boolean' },
    email: nullable(declared.email),
    phone_number: nullable(declared.phone_number),
    phone_verified: { type: 'boolean' },
    user_metadata: { type: 'object' },
    app_metadata: { type: 'object' },
    given_name: nullable(declared.given_name),
    family_name: nullable(declared.family_name),
    name: nullable(declared.name),
    nickname: nullable(declared.nickname),
    picture: nullable(declared.picture),
    verify_email: { type: 'boolean' },
    verify_phone_number: { type: 'boolean' },
    password: nullable(declared.password),
    connection: declared.connection,
    client_id: { type: 'string', maxLength: 128 },
    username: nullable(declared.username),
  },
} as const;
const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 300 } },
} as const;
const sortPattern = '^[A-Za-z_.]{1,64}:(1|-1)$';

type CreateBody = Omit<DeclaredUser, 'password_hash' | 'email'> & {
  email?: string;
  phone_verified?: boolean;
  verify_email?: boolean;
};
type PatchBody = Partial<Record<keyof typeof patchBody.properties, unknown>> & {
  email?: string | null;
  password?: string | null;
  connection?: string;
  user_metadata?: Record<string, unknown>;
  app_metadata?: Record<string, unknown>;
};
interface ListQuery extends PageQuery, FieldsQuery {
  sort?: string;
  connection?: string;
  q?: string;
  search_engine?: string;
  primary_order?: boolean;
}
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

const inexistent = () => notFound('user', 'inexistent_user');
const userExists = () => new ManagementError(409, 'The user already exists.', 'auth0_idp_error');
// Auth0's answer to a password the connection's policy refuses (POST and PATCH /users).
const weakPassword = () => new ManagementError(400, 'PasswordStrengthError: Password is too weak');
const missing = (name: string) =>
  new ManagementError(400, `Payload validation error: 'Missing required property: ${name}'.`, 'invalid_body');
/** Scopes that may change only the metadata (Auth0 lists update:users_app_metadata for PATCH /users/{id}). */
const METADATA_ONLY = new Set(['app_metadata', 'user_metadata']);

async function connectionOf(tx: Stores, name: string): Promise<Connection> {
  try {
    return await databaseConnection(tx, name, 'connection');
  } catch (error) {
    if (error instanceof TenantFileError)
      throw new ManagementError(400, 'The connection does not exist.', 'inexistent_connection');
    throw error;
  }
}

function filterOf(query: ListQuery): UserFilter | undefined {
  let filter: UserFilter | undefined;
  try {
    filter = parseUserQuery(query.q ?? '');
  } catch (error) {
    if (!(error instanceof QuerySyntaxError)) throw error;
    throw new ManagementError(
      400,
      `Query validation error: 'q' is not a valid query: ${error.message}.`,
      'invalid_query_string',
    );
  }
  if (query.connection === undefined) return filter;
  const connection: UserFilter = { kind: 'match', field: 'connection', value: query.connection, prefix: false };
  return filter ? { kind: 'and', items: [connection, filter] } : connection;
}

export function userRoutes(app: FastifyInstance, { store, passwords, audit, now }: UserRouteDeps) {
  /**
   * Auth0 logs a password set through the Management API as scp ("Success Change Password"), and fcp when it
   * was refused (Auth0 docs, "Log Event Type Codes"); never the password itself.
   */
  const recordPasswordChange = (request: FastifyRequest, user: User, type: 'scp' | 'fcp', description?: string) =>
    audit.record({
      type,
      description,
      ip: request.ip,
      user_agent: request.headers['user-agent'],
      client_id: request.caller?.clientId,
      user_id: user.user_id,
      user_name: user.email ?? undefined,
      connection: user.connection,
      strategy: 'auth0',
    });

  app.get<{ Querystring: ListQuery }>(
    '/users',
    {
      config: { scopes: readUsers },
      schema: {
        querystring: {
          type: 'object',
          properties: {
            ...emptyPageQuery,
            ...fieldsQuery,
            sort: { type: 'string', pattern: sortPattern },
            connection: { type: 'string', minLength: 1, maxLength: 128 },
            q: { type: 'string', maxLength: 4096 },
            search_engine: { enum: ['v1', 'v2', 'v3'] },
            primary_order: { type: 'boolean' },
          },
        },
        response: answers({ 200: offsetPage('users', userAnswer) }),
      },
    },
    async (request) => {
      const { query } = request;
      const [field, order] = (query.sort ?? 'created_at:1').split(':');
      // Auth0 "Sort Search Results": any field but the metadata; here, the fields Gatehouse stores.
      if (!(userSortFields as readonly string[]).includes(field))
        throw new ManagementError(
          400,
          `Query validation error: 'sort' cannot sort by ${field}; sortable: ${userSortFields.join(', ')}.`,
          'invalid_query_string',
        );
      // Unlike Auth0's search engine, no cap of 1000 results: every page can be reached (docs/management-api.md).
      const { users, total } = await store.users.list({
        filter: filterOf(query),
        sort: { field: field as UserSortField, descending: order === '-1' },
        ...pageOf(query),
        withTotal: query.include_totals,
      });
      return paged(
        'users',
        query,
        users.map((u) => userView(u, query)),
        total,
      );
    },
  );

  app.get<{ Querystring: FieldsQuery & { email: string } }>(
    '/users-by-email',
    {
      config: { scopes: ['read:users'] },
      schema: {
        querystring: {
          type: 'object',
          required: ['email'],
          properties: { ...fieldsQuery, email: { type: 'string', minLength: 1, maxLength: 320 } },
        },
        response: answers({ 200: { type: 'array', items: userAnswer } }),
      },
    },
    async (request) => {
      const users = await store.users.listByEmail(request.query.email);
      return users.map((u) => userView(u, request.query));
    },
  );

  app.get<{ Params: { id: string }; Querystring: FieldsQuery }>(
    '/users/:id',
    {
      config: { scopes: readUsers },
      schema: {
        params: idParams,
        querystring: { type: 'object', properties: fieldsQuery },
        response: answers({ 200: userAnswer }),
      },
    },
    async (request) => {
      const user = await store.users.get(request.params.id);
      if (!user) throw inexistent();
      return userView(user, request.query);
    },
  );

  app.post<{ Body: CreateBody }>(
    '/users',
    { config: { scopes: ['create:users'] }, schema: { body: createBody, response: answers({ 201: userAnswer }) } },
    async (request, reply) => {
      const { password, verify_email: _verify, ...fields } = request.body;
      const connection = await connectionOf(store, fields.connection);
      // A database connection's users sign in with their e-mail and password.
      if (fields.email === undefined) throw missing('email');
      if (password === undefined) throw missing('password');
      if (!meetsPolicy(password, connection.options)) throw weakPassword();
      const user = newUser({ ...fields, email: fields.email }, await passwords.hash(password), now());
      const taken = async () =>
        Boolean((await store.users.findByEmail(user.connection, user.email!)) ?? (await store.users.get(user.user_id)));
      if (await taken()) throw userExists();
      try {
        await store.users.insert(user);
      } catch (error) {
        // Two creations racing for one address (or id): the unique indexes let one through.
        throw (await taken()) ? userExists() : error;
      }
      return reply.code(201).send(userView((await store.users.get(user.user_id))!));
    },
  );

  app.patch<{ Params: { id: string }; Body: PatchBody }>(
    '/users/:id',
    {
      config: { scopes: ['update:users', 'update:users_app_metadata'] },
      schema: { params: idParams, body: patchBody, response: answers({ 200: userAnswer }) },
    },
    async (request) => {
      const body = request.body;
      if (!request.caller?.scopes.has('update:users') && Object.keys(body).some((k) => !METADATA_ONLY.has(k)))
        throw new ManagementError(403, 'Insufficient scope, expected any of: update:users', 'insufficient_scope');
      const { id } = request.params;
      const existing = await store.users.get(id);
      if (!existing) throw inexistent();
      if (body.connection !== undefined && body.connection !== existing.connection)
        throw new ManagementError(
          400,
          `The user has no identity in the connection ${body.connection}.`,
          'invalid_body',
        );
      if (body.email === null)
        throw new ManagementError(400, 'A database user cannot be left without an email.', 'invalid_body');
      if (body.password === null)
        throw new ManagementError(400, 'A database user cannot be left without a password.', 'invalid_body');
      let passwordHash: string | undefined;
      if (typeof body.password === 'string') {
        const connection = await connectionOf(store, existing.connection);
        if (!meetsPolicy(body.password, connection.options)) {
          const refused = weakPassword();
          recordPasswordChange(request, existing, 'fcp', refused.message);
          throw refused;
        }
        passwordHash = await passwords.hash(body.password);
      }
      const email = typeof body.email === 'string' ? body.email.toLowerCase() : undefined;
      const emailTaken = async () => {
        const holder = email === undefined ? undefined : await store.users.findByEmail(existing.connection, email);
        return holder !== undefined && holder.user_id !== id;
      };
      if (await emailTaken()) throw userExists();
      try {
        await store.transaction(null, async (tx) => {
          const user = await tx.users.get(id);
          if (!user) throw inexistent();
          const patch = patchOf(body, user);
          if (passwordHash) patch.password_hash = passwordHash;
          await tx.users.update(id, patch);
        });
      } catch (error) {
        // Another user took the address meanwhile: the unique (connection, email) index refused this one.
        throw !(error instanceof ManagementError) && (await emailTaken()) ? userExists() : error;
      }
      const user = (await store.users.get(id))!;
      if (passwordHash) recordPasswordChange(request, user, 'scp');
      return userView(user);
    },
  );

  app.delete(
    '/users/:id',
    { config: { scopes: ['delete:users'] }, schema: { params: idParams, response: answers({ 204: noBody }) } },
    async (request: IdRequest, reply) => {
      // Auth0 answers 204 whether or not the user existed.
      await store.transaction(null, (tx) => tx.users.delete(request.params.id));
      return reply.code(204).send();
    },
  );

  const activeUsers = { config: { scopes: ['read:stats'] }, schema: { response: answers({ 200: integer }) } };
  // Auth0 "Get active users count": users who signed in during the last 30 days, as a bare JSON number (the
  // serializer writes it, after checking it against the schema).
  app.get('/stats/active-users', activeUsers, async () => store.users.countActiveSince(now() - 30 * DAY_MS));
}

/** The stored fields a PATCH body changes; metadata merged as Auth0 merges it. */
function patchOf(body: PatchBody, user: User): Patch<User> {
  const patch: Record<string, unknown> = {};
  for (const key of [
    'blocked',
    'email_verified',
    'phone_number',
    'phone_verified',
    'given_name',
    'family_name',
  ] as const)
    if (body[key] !== undefined) patch[key] = body[key];
  for (const key of ['name', 'nickname', 'picture', 'username'] as const)
    if (body[key] !== undefined) patch[key] = body[key];
  if (typeof body.email === 'string') {
    patch.email = body.email.toLowerCase();
    // Auth0: a new address is unverified unless the same request says otherwise.
    if (patch.email !== user.email && body.email_verified === undefined) patch.email_verified = false;
  }
  if (body.user_metadata) patch.user_metadata = mergeMetadata(user.user_metadata, body.user_metadata);
  if (body.app_metadata) patch.app_metadata = mergeMetadata(user.app_metadata, body.app_metadata);
  return patch as Patch<User>;
}
