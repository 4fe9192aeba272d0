// Every object of a kind, page by page: what the export, the diff and --prune read.
import type { Client, ClientGrant, ResourceServer, Role, Stores, StoredUser } from '../store/types.js';

const PAGE = 500;

async function pages<T>(load: (offset: number) => Promise<T[]>): Promise<T[]> {
  const all: T[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const items = await load(offset);
    all.push(...items);
    if (items.length < PAGE) return all;
  }
}

export const allClients = (tx: Stores): Promise<Client[]> =>
  pages(async (offset) => (await tx.clients.list({}, { offset, limit: PAGE })).items);

export const allResourceServers = (tx: Stores): Promise<ResourceServer[]> =>
  pages(async (offset) => (await tx.resourceServers.list({}, { offset, limit: PAGE })).items);

export const allClientGrants = (tx: Stores): Promise<ClientGrant[]> =>
  pages(async (offset) => (await tx.clientGrants.list({}, { offset, limit: PAGE })).items);

export const allRoles = (tx: Stores): Promise<Role[]> =>
  pages(async (offset) => (await tx.roles.list({}, { offset, limit: PAGE })).roles);

/** The users of the database connections (strategy auth0): the users a tenant file declares. */
export async function allDatabaseUsers(tx: Stores): Promise<StoredUser[]> {
  const databases = new Set((await tx.connections.list()).filter((c) => c.strategy === 'auth0').map((c) => c.name));
  const users = await pages(
    async (offset) =>
      (
        await tx.users.list({
          sort: { field: 'user_id', descending: false },
          offset,
          limit: PAGE,
          withTotal: false,
        })
      ).users,
  );
  return users.filter((u) => databases.has(u.connection) && u.email !== null && u.user_id.startsWith('auth0|'));
}
