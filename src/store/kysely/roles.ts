import type { RoleStore } from '../types.js';
import type { Executor } from './db.js';

export function roleStore(db: Executor, now: () => number): RoleStore {
  return {
    async getByName(name) {
      return db.selectFrom('roles').select(['id', 'name', 'description']).where('name', '=', name).executeTakeFirst();
    },
    async insert(role) {
      const at = now();
      await db
        .insertInto('roles')
        .values({ ...role, created_at: at, updated_at: at })
        .execute();
    },
    async update(id, patch) {
      await db
        .updateTable('roles')
        .set({ ...patch, updated_at: now() })
        .where('id', '=', id)
        .execute();
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
    async setPermissions(roleId, permissions) {
      await db.deleteFrom('role_permissions').where('role_id', '=', roleId).execute();
      if (permissions.length) {
        await db
          .insertInto('role_permissions')
          .values(permissions.map((p) => ({ role_id: roleId, ...p })))
          .execute();
      }
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
    async permissionsOfUser(userId, resourceServerIdentifier) {
      const rows = await db
        .selectFrom('user_roles')
        .innerJoin('role_permissions', 'role_permissions.role_id', 'user_roles.role_id')
        .select('role_permissions.permission_name')
        .distinct()
        .where('user_roles.user_id', '=', userId)
        .where('role_permissions.resource_server_identifier', '=', resourceServerIdentifier)
        .orderBy('role_permissions.permission_name')
        .execute();
      return rows.map((r) => r.permission_name);
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
  };
}
