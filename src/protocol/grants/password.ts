// RFC 6749 §4.3: grant_type=password. There is no parameter naming the connection: Auth0 uses the tenant's
// default directory (Auth0 docs: "Call Your API Using Resource Owner Password Flow", "Configure tenant"), and,
// when none is set, the one database connection enabled for the client if there is exactly one.
import type { Client, Connection, Stores } from '../../store/types.js';
import { OAuthError } from '../errors.js';
import {
  credentialsOf,
  enabledDatabaseConnection,
  issueForPassword,
  type ResourceOwnerPart,
} from './resource-owner.js';
import type { Grant } from './types.js';

/** Auth0's words when neither a default directory nor a single database connection names the connection. */
const NO_DEFAULT_CONNECTION = 'Authorization server not configured with default connection.';

async function defaultConnection(stores: Pick<Stores, 'tenant' | 'connections'>, client: Client): Promise<Connection> {
  const { default_directory } = await stores.tenant.get();
  if (default_directory)
    return enabledDatabaseConnection(await stores.connections.getByName(default_directory), client);
  const enabled = (await stores.connections.list()).filter(
    (c) => c.strategy === 'auth0' && c.enabled_clients.includes(client.client_id),
  );
  if (enabled.length !== 1) throw new OAuthError('invalid_request', NO_DEFAULT_CONNECTION);
  return enabled[0];
}

export const password: Grant<ResourceOwnerPart> = {
  grantType: 'password',
  parameters: ['username', 'password', 'audience', 'scope'],

  async handle(request, deps) {
    const credentials = credentialsOf(request.params);
    const connection = await defaultConnection(deps.stores, request.client);
    return issueForPassword(request, deps, connection, credentials);
  },
};
