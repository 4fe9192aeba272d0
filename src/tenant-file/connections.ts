import type { Store } from '../store/types.js';

/** The database (strategy auth0) connections enabled for a client, oldest first. */
export async function databaseConnectionsOf(store: Pick<Store, 'connections'>, clientId: string): Promise<string[]> {
  const connections = await store.connections.list();
  return connections.filter((c) => c.strategy === 'auth0' && c.enabled_clients.includes(clientId)).map((c) => c.name);
}
