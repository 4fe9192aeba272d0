// A user's roles and the permissions given to them directly (Auth0 Management API v2, "Users": get, assign
// and remove roles; get, assign and remove permissions). Direct permissions join the ones from roles in the
// user's access tokens for an RBAC API (store/kysely/roles.ts permissionsOfUser). 404 for an unknown user,
// or a role id that names no role.
import type { FastifyInstance } from 'fastify';
import type { Permission, Store, Stores } from '../../store/types.js';
import { notFound } from './errors.js';
import { type PageQuery, pageOf, pageQuery, paged } from './pagination.js';
import { describePermissions, idList, idParams, permissionsBody, validPermissions } from './permissions.js';
import { inexistentRole } from './roles.js';
import { answers, noBody, offsetPage } from './schemas/common.js';
import { role, userPermission } from './schemas/roles.js';

export interface UserRoleRouteDeps {
  store: Store;
}

type IdParams = { Params: { id: string } };

async function existingUser(tx: Pick<Stores, 'users'>, userId: string): Promise<void> {
  if (!(await tx.users.get(userId))) throw notFound('user', 'inexistent_user');
}

export function userRoleRoutes(app: FastifyInstance, { store }: UserRoleRouteDeps) {
  const listQuery = { params: idParams, querystring: { type: 'object', properties: pageQuery } };

  app.get<IdParams & { Querystring: PageQuery }>(
    '/users/:id/roles',
    {
      config: { scopes: ['read:users', 'read:roles', 'read:role_members'] },
      schema: { ...listQuery, response: answers({ 200: offsetPage('roles', role) }) },
    },
    async (request) => {
      await existingUser(store, request.params.id);
      const { roles, total } = await store.roles.rolesOfUser(request.params.id, pageOf(request.query));
      return paged('roles', request.query, roles, total);
    },
  );

  /** Assigns or removes the roles named in the body, after checking that the user and every role exist. */
  const changeRoles =
    (change: 'assign' | 'unassign') => async (request: { params: { id: string }; body: { roles: string[] } }) => {
      const { id } = request.params;
      await store.transaction('tenant', async (tx) => {
        await existingUser(tx, id);
        const roleIds = [...new Set(request.body.roles)];
        for (const roleId of roleIds) if (!(await tx.roles.get(roleId))) throw inexistentRole();
        await tx.roles[change](roleIds.map((role_id) => ({ user_id: id, role_id })));
      });
    };

  app.post<IdParams & { Body: { roles: string[] } }>(
    '/users/:id/roles',
    {
      config: { scopes: ['update:users', 'create:role_members'] },
      schema: { params: idParams, body: idList('roles'), response: answers({ 204: noBody }) },
    },
    async (request, reply) => {
      await changeRoles('assign')(request);
      return reply.code(204).send();
    },
  );

  app.delete<IdParams & { Body: { roles: string[] } }>(
    '/users/:id/roles',
    {
      config: { scopes: ['update:users', 'delete:role_members'] },
      schema: { params: idParams, body: idList('roles'), response: answers({ 204: noBody }) },
    },
    async (request, reply) => {
      await changeRoles('unassign')(request);
      return reply.code(204).send();
    },
  );

  app.get<IdParams & { Querystring: PageQuery }>(
    '/users/:id/permissions',
    {
      config: { scopes: ['read:users'] },
      schema: { ...listQuery, response: answers({ 200: offsetPage('permissions', userPermission) }) },
    },
    async (request) => {
      await existingUser(store, request.params.id);
      // Auth0 "Get a user's permissions": those given directly and those of the user's roles, each with its
      // `sources` (DIRECT with an empty id and name, or ROLE with the role's id and name).
      const { permissions, total } = await store.roles.userPermissions(request.params.id, pageOf(request.query));
      const described = await describePermissions(store, permissions);
      const items = described.map((p, i) => ({ ...p, sources: permissions[i].sources }));
      return paged('permissions', request.query, items, total);
    },
  );

  app.post<IdParams & { Body: { permissions: Permission[] } }>(
    '/users/:id/permissions',
    {
      config: { scopes: ['update:users'] },
      schema: { params: idParams, body: permissionsBody, response: answers({ 201: noBody }) },
    },
    async (request, reply) => {
      const { id } = request.params;
      await store.transaction('tenant', async (tx) => {
        await existingUser(tx, id);
        await tx.roles.addDirectPermissions(id, await validPermissions(tx, request.body.permissions));
      });
      return reply.code(201).send();
    },
  );

  app.delete<IdParams & { Body: { permissions: Permission[] } }>(
    '/users/:id/permissions',
    {
      config: { scopes: ['update:users'] },
      schema: { params: idParams, body: permissionsBody, response: answers({ 204: noBody }) },
    },
    async (request, reply) => {
      const { id } = request.params;
      await store.transaction('tenant', async (tx) => {
        await existingUser(tx, id);
        await tx.roles.removeDirectPermissions(id, request.body.permissions);
      });
      return reply.code(204).send();
    },
  );
}
