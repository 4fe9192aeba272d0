// Roles (Auth0 RBAC), their permissions and members, and the permissions given to users directly.
import { type ExpressionBuilder, sql } from 'kysely';
import type { Permission, PermissionSource, RoleStore } from '../types.js';
import type { Executor } from './db.js';
import type { Database } from './schema.js';

type PermissionTable = 'role_permissions' | 'user_permissions';

/** Lists split for OR chains: SQLite refuses expressions nested deeper than 1000. */
function* chunks<T>(items: readonly T[], size = 100): Generator<readonly T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/** Rows of `table` that are one of these permissions. */
const oneOf =
  <T extends PermissionTable>(permissions: readonly Permission[]) =>
  (eb: ExpressionBuilder<Database, T>) =>
    eb.or(
      permissions.map((p) =>
        eb.and([
          eb(sql.ref(`resource_server_identifier`), '=', p.resource_server_identifier),
          eb(sql.ref(`permission_name`), '=', p.permission_name),
        ]),
      ),
    );

export function roleStore(db: Executor, now: () => number): RoleStore {
  const role = db.selectFrom('roles').select(['id', 'name', 'description']);
  const count = (rows: { n: number | string | bigint } | undefined) => Number(rows?.n ?? 0);

  async function permissionPage(
    table: PermissionTable,
    column: 'role_id' | 'user_id',
    id: string,
    page: { offset: number; limit: number },
  ) {
    const where = db.selectFrom(table).where(sql.ref(column), '=', id);
    const [permissions, total] = await Promise.all([
      where
        .select(['resource_server_identifier', 'permission_name'])
        .orderBy('resource_server_identifier')
        .orderBy('permission_name')
        .offset(page.offset)
        .limit(page.limit)
        .execute(),
      where.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst(),
    ]);
    return { permissions, total: count(total) };
  }

  return {
    async get(id) {
      return role.where('id', '=', id).executeTakeFirst();
    },
    async getByName(name) {
      return role.where('name', '=', name).executeTakeFirst();
    },
    async list(filter, page) {
      // Auth0 "Get roles": name_filter matches case-insensitively; LIKE's wildcards in it are taken literally.
      const pattern = filter.name_filter
        ? `%${filter.name_filter.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
        : undefined;
      const where = pattern
        ? db.selectFrom('roles').where(sql<boolean>`lower(name) LIKE ${pattern} ESCAPE '\\'`)
        : db.selectFrom('roles');
      const [roles, total] = await Promise.all([
        where
          .select(['id', 'name', 'description'])
          .orderBy('name')
          .orderBy('id')
          .offset(page.offset)
          .limit(page.limit)
          .execute(),
        where.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst(),
      ]);
      return { roles, total: count(total) };
    },
    async insert(newRole) {
      const at = now();
      await db
        .insertInto('roles')
        .values({ ...newRole, created_at: at, updated_at: at })
        .execute();
    },
    async update(id, patch) {
      await db
        .updateTable('roles')
        .set({ ...patch, updated_at: now() })
        .where('id', '=', id)
        .execute();
    },
    async delete(id) {
      // The foreign keys would cascade on PostgreSQL; deleting the rows first does not depend on SQLite's
      // foreign_keys pragma. The caller runs this in one transaction.
      await db.deleteFrom('role_permissions').where('role_id', '=', id).execute();
      await db.deleteFrom('user_roles').where('role_id', '=', id).execute();
      const deleted = await db.deleteFrom('roles').where('id', '=', id).executeTakeFirst();
      return Number(deleted.numDeletedRows) > 0;
    },
    async permissions(roleId) {
      return db
        .selectFrom('role_permissions')
        .select(['resource_server_identifier', 'permission_name'])
        .where('role_id', '=', roleId)
        .orderBy('resource_server_identifier')
        .orderBy('permission_name')
        .execute();
    },
    listPermissions: (roleId, page) => permissionPage('role_permissions', 'role_id', roleId, page),
    async setPermissions(roleId, permissions) {
      await db.deleteFrom('role_permissions').where('role_id', '=', roleId).execute();
      if (permissions.length) {
        await db
          .insertInto('role_permissions')
          .values(permissions.map((p) => ({ role_id: roleId, ...p })))
          .execute();
      }
    },
    async addPermissions(roleId, permissions) {
      if (!permissions.length) return;
      await db
        .insertInto('role_permissions')
        .values(permissions.map((p) => ({ role_id: roleId, ...p })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    async removePermissions(roleId, permissions) {
      for (const some of chunks(permissions))
        await db.deleteFrom('role_permissions').where('role_id', '=', roleId).where(oneOf(some)).execute();
    },
    async members(roleId) {
      const rows = await db
        .selectFrom('user_roles')
        .select('user_id')
        .where('role_id', '=', roleId)
        .orderBy('user_id')
        .execute();
      return rows.map((r) => r.user_id);
    },
    async listMembers(roleId, page) {
      const where = db
        .selectFrom('user_roles')
        .innerJoin('users', 'users.user_id', 'user_roles.user_id')
        .where('user_roles.role_id', '=', roleId);
      const after = page.after;
      const [users, total] = await Promise.all([
        (after === undefined ? where : where.where('users.user_id', '>', after))
          .select(['users.user_id', 'users.email', 'users.name', 'users.picture'])
          .orderBy('users.user_id')
          .offset(page.offset)
          .limit(page.limit)
          .execute(),
        where.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst(),
      ]);
      return { users, total: count(total) };
    },
    async setMembers(roleId, userIds) {
      await db.deleteFrom('user_roles').where('role_id', '=', roleId).execute();
      if (userIds.length) {
        await db
          .insertInto('user_roles')
          .values(userIds.map((user_id) => ({ user_id, role_id: roleId })))
          .execute();
      }
    },
    async assign(assignments) {
      if (!assignments.length) return;
      await db
        .insertInto('user_roles')
        .values(assignments.map(({ user_id, role_id }) => ({ user_id, role_id })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    async unassign(assignments) {
      for (const some of chunks(assignments))
        await db
          .deleteFrom('user_roles')
          .where((eb) => eb.or(some.map((a) => eb.and([eb('user_id', '=', a.user_id), eb('role_id', '=', a.role_id)]))))
          .execute();
    },
    async rolesOfUser(userId, page) {
      const where = db
        .selectFrom('user_roles')
        .innerJoin('roles', 'roles.id', 'user_roles.role_id')
        .where('user_roles.user_id', '=', userId);
      const [roles, total] = await Promise.all([
        where
          .select(['roles.id', 'roles.name', 'roles.description'])
          .orderBy('roles.name')
          .orderBy('roles.id')
          .offset(page.offset)
          .limit(page.limit)
          .execute(),
        where.select((eb) => eb.fn.countAll().as('n')).executeTakeFirst(),
      ]);
      return { roles, total: count(total) };
    },
    async userPermissions(userId, page) {
      // Each grant of a permission to the user: directly, or through one of the user's roles.
      const grants = db
        .selectFrom('user_permissions')
        .select([
          'resource_server_identifier',
          'permission_name',
          sql<string>`''`.as('source_id'),
          sql<string>`''`.as('source_name'),
          sql<string>`'DIRECT'`.as('source_type'),
        ])
        .where('user_id', '=', userId)
        .unionAll(
          db
            .selectFrom('user_roles')
            .innerJoin('role_permissions', 'role_permissions.role_id', 'user_roles.role_id')
            .innerJoin('roles', 'roles.id', 'user_roles.role_id')
            .select([
              'role_permissions.resource_server_identifier',
              'role_permissions.permission_name',
              'roles.id as source_id',
              'roles.name as source_name',
              sql<string>`'ROLE'`.as('source_type'),
            ])
            .where('user_roles.user_id', '=', userId),
        );
      const held = db.selectFrom(grants.as('g')).select(['resource_server_identifier', 'permission_name']).distinct();
      const [permissions, total] = await Promise.all([
        held
          .orderBy('resource_server_identifier')
          .orderBy('permission_name')
          .offset(page.offset)
          .limit(page.limit)
          .execute(),
        db
          .selectFrom(held.as('h'))
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirst(),
      ]);
      const key = (p: Permission) => JSON.stringify([p.resource_server_identifier, p.permission_name]);
      const sources = new Map(permissions.map((p) => [key(p), [] as PermissionSource[]]));
      if (permissions.length) {
        const rows = await db
          .selectFrom(grants.as('g'))
          .selectAll()
          .where((eb) =>
            eb.or(
              permissions.map((p) =>
                eb.and([
                  eb('resource_server_identifier', '=', p.resource_server_identifier),
                  eb('permission_name', '=', p.permission_name),
                ]),
              ),
            ),
          )
          .orderBy('source_type')
          .orderBy('source_name')
          .execute();
        for (const { resource_server_identifier, permission_name, ...source } of rows)
          sources.get(key({ resource_server_identifier, permission_name }))?.push(source as PermissionSource);
      }
      return {
        permissions: permissions.map((p) => ({ ...p, sources: sources.get(key(p)) ?? [] })),
        total: count(total),
      };
    },
    async addDirectPermissions(userId, permissions) {
      if (!permissions.length) return;
      await db
        .insertInto('user_permissions')
        .values(permissions.map((p) => ({ user_id: userId, ...p })))
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    async removeDirectPermissions(userId, permissions) {
      for (const some of chunks(permissions))
        await db.deleteFrom('user_permissions').where('user_id', '=', userId).where(oneOf(some)).execute();
    },
    async permissionsOfUser(userId, resourceServerIdentifier) {
      // Auth0 RBAC: a token carries the user's permissions from roles and those assigned directly, each once.
      const viaRoles = db
        .selectFrom('user_roles')
        .innerJoin('role_permissions', 'role_permissions.role_id', 'user_roles.role_id')
        .select('role_permissions.permission_name')
        .where('user_roles.user_id', '=', userId)
        .where('role_permissions.resource_server_identifier', '=', resourceServerIdentifier);
      const direct = db
        .selectFrom('user_permissions')
        .select('permission_name')
        .where('user_id', '=', userId)
        .where('resource_server_identifier', '=', resourceServerIdentifier);
      const rows = await viaRoles.union(direct).orderBy('permission_name').execute();
      return rows.map((r) => r.permission_name);
    },
  };
}
