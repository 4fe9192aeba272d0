// /api/v2/roles (Auth0 Management API v2, "Roles"): list, get, create, patch, delete; a role's permissions
// (list, add, remove) and users (list, assign). Writes run in one transaction holding the `tenant` lock, as the
// tenant file's roles do, and check permissions with the tenant file's own check (permissions.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomId } from '../../crypto/random.js';
import type { Permission, Role, Store, Stores } from '../../store/types.js';
import { roleSchema } from '../../tenant-file/schemas.js';
import { ManagementError, notFound } from './errors.js';
import { type PageQuery, pageOf, pageQuery, paged } from './pagination.js';
import { describePermissions, idList, idParams, permissionsBody, validPermissions } from './permissions.js';
import { answers, checkpointPage, noBody, offsetPage } from './schemas/common.js';
import { permission, role as roleAnswer, roleMember } from './schemas/roles.js';

export interface RoleRouteDeps {
  store: Store;
}

const { name, description } = roleSchema.properties;
// Auth0's role also has `type` and `owner_id` (organization roles); Gatehouse has tenant roles only.
const type = { type: 'string', enum: ['tenant'] } as const;
const createBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name, description, type },
} as const;
const patchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { name, description },
} as const;

interface ListQuery extends PageQuery {
  name_filter?: string;
}
interface MembersQuery extends PageQuery {
  from?: string;
  take?: number;
}
type IdRequest = FastifyRequest<{ Params: { id: string } }>;

export const inexistentRole = () => notFound('role', 'inexistent_role');
const duplicate = () => new ManagementError(409, 'The role already exists.', 'role_conflict');

const view = (role: Role) => ({ id: role.id, name: role.name, description: role.description });

async function existingRole(tx: Pick<Stores, 'roles'>, id: string): Promise<Role> {
  const role = await tx.roles.get(id);
  if (!role) throw inexistentRole();
  return role;
}

export function roleRoutes(app: FastifyInstance, { store }: RoleRouteDeps) {
  app.get<{ Querystring: ListQuery }>(
    '/roles',
    {
      config: { scopes: ['read:roles'] },
      schema: {
        querystring: {
          type: 'object',
          properties: { ...pageQuery, name_filter: { type: 'string', maxLength: 50 }, type },
        },
        response: answers({ 200: offsetPage('roles', roleAnswer) }),
      },
    },
    async (request) => {
      const { query } = request;
      const { roles, total } = await store.roles.list({ name_filter: query.name_filter }, pageOf(query));
      return paged('roles', query, roles.map(view), total);
    },
  );

  app.get(
    '/roles/:id',
    { config: { scopes: ['read:roles'] }, schema: { params: idParams, response: answers({ 200: roleAnswer }) } },
    async (request: IdRequest) => view(await existingRole(store, request.params.id)),
  );

  app.post<{ Body: { name: string; description?: string } }>(
    '/roles',
    { config: { scopes: ['create:roles'] }, schema: { body: createBody, response: answers({ 200: roleAnswer }) } },
    async (request, reply) => {
      const { name, description = '' } = request.body;
      const role = await store.transaction('tenant', async (tx) => {
        if (await tx.roles.getByName(name)) throw duplicate();
        const created: Role = { id: randomId('rol_'), name, description };
        await tx.roles.insert(created);
        return created;
      });
      return reply.code(200).send(view(role));
    },
  );

  app.patch<{ Params: { id: string }; Body: { name?: string; description?: string } }>(
    '/roles/:id',
    {
      config: { scopes: ['update:roles'] },
      schema: { params: idParams, body: patchBody, response: answers({ 200: roleAnswer }) },
    },
    async (request) => {
      const { id } = request.params;
      const role = await store.transaction('tenant', async (tx) => {
        const existing = await existingRole(tx, id);
        const { name, description } = request.body;
        if (name !== undefined && name !== existing.name && (await tx.roles.getByName(name))) throw duplicate();
        const patch = { ...(name !== undefined && { name }), ...(description !== undefined && { description }) };
        await tx.roles.update(id, patch);
        return { ...existing, ...patch };
      });
      return view(role);
    },
  );

  app.delete(
    '/roles/:id',
    { config: { scopes: ['delete:roles'] }, schema: { params: idParams, response: answers({ 200: noBody }) } },
    async (request: IdRequest, reply) => {
      // Auth0 "Delete a role": it is removed from every user who had it, with its permissions, in one transaction.
      const deleted = await store.transaction('tenant', (tx) => tx.roles.delete(request.params.id));
      if (!deleted) throw inexistentRole();
      return reply.code(200).send();
    },
  );

  app.get<{ Params: { id: string }; Querystring: PageQuery }>(
    '/roles/:id/permissions',
    {
      config: { scopes: ['read:roles'] },
      schema: {
        params: idParams,
        querystring: { type: 'object', properties: pageQuery },
        response: answers({ 200: offsetPage('permissions', permission) }),
      },
    },
    async (request) => {
      const { id } = request.params;
      await existingRole(store, id);
      const { permissions, total } = await store.roles.listPermissions(id, pageOf(request.query));
      return paged('permissions', request.query, await describePermissions(store, permissions), total);
    },
  );

  app.post<{ Params: { id: string }; Body: { permissions: Permission[] } }>(
    '/roles/:id/permissions',
    {
      config: { scopes: ['update:roles'] },
      schema: { params: idParams, body: permissionsBody, response: answers({ 201: noBody }) },
    },
    async (request, reply) => {
      const { id } = request.params;
      await store.transaction('tenant', async (tx) => {
        await existingRole(tx, id);
        await tx.roles.addPermissions(id, await validPermissions(tx, request.body.permissions));
      });
      return reply.code(201).send();
    },
  );

  app.delete<{ Params: { id: string }; Body: { permissions: Permission[] } }>(
    '/roles/:id/permissions',
    {
      config: { scopes: ['update:roles'] },
      schema: { params: idParams, body: permissionsBody, response: answers({ 200: noBody }) },
    },
    async (request, reply) => {
      const { id } = request.params;
      await store.transaction('tenant', async (tx) => {
        await existingRole(tx, id);
        await tx.roles.removePermissions(id, request.body.permissions);
      });
      // Auth0 "Remove permissions from a role": 200 without a body.
      return reply.code(200).send();
    },
  );

  app.get<{ Params: { id: string }; Querystring: MembersQuery }>(
    '/roles/:id/users',
    {
      config: { scopes: ['read:users', 'read:roles', 'read:role_members'] },
      schema: {
        params: idParams,
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            from: { type: 'string', maxLength: 512 },
            take: { type: 'integer', minimum: 1, maximum: 100 },
          },
        },
        response: answers({ 200: checkpointPage('users', roleMember) }),
      },
    },
    async (request) => {
      const { id } = request.params;
      const { query } = request;
      await existingRole(store, id);
      // Auth0 "Get a role's users": `from`/`take` (checkpoint paging) answer {users, next}, where `next` is
      // the `from` of the following page, present while there is one; otherwise offset paging.
      if (query.from !== undefined || query.take !== undefined) {
        const take = query.take ?? 50;
        const { users } = await store.roles.listMembers(id, {
          offset: 0,
          limit: take + 1,
          after: query.from || undefined,
        });
        const page = users.slice(0, take).map(memberView);
        return users.length > take ? { users: page, next: page[page.length - 1].user_id } : { users: page };
      }
      const { users, total } = await store.roles.listMembers(id, pageOf(query));
      return paged('users', query, users.map(memberView), total);
    },
  );

  app.post<{ Params: { id: string }; Body: { users: string[] } }>(
    '/roles/:id/users',
    {
      config: { scopes: ['update:roles', 'create:role_members'] },
      schema: { params: idParams, body: idList('users'), response: answers({ 200: noBody }) },
    },
    async (request, reply) => {
      const { id } = request.params;
      await store.transaction('tenant', async (tx) => {
        await existingRole(tx, id);
        for (const userId of request.body.users) {
          if (!(await tx.users.get(userId))) throw notFound('user', 'inexistent_user');
        }
        await tx.roles.assign([...new Set(request.body.users)].map((user_id) => ({ user_id, role_id: id })));
      });
      return reply.code(200).send();
    },
  );
}

/** A member as Auth0 lists it: fields the user does not have are left out. */
function memberView(user: { user_id: string; email: string | null; name: string | null; picture: string | null }) {
  return Object.fromEntries(Object.entries(user).filter(([, v]) => v !== null));
}
