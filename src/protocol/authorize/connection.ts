// The connection to sign in with (Auth0 docs: "Authentication API", /docs/api/authentication, the connection
// parameter of /authorize): the one asked for when it is enabled for the client, else the tenant's default
// directory when that is enabled for it, else the client's first enabled database connection. A passwordless
// connection (`email`, `sms`) is signed in on Universal Login's passwordless pages and needs only to be enabled
// for the client (Auth0 docs: "Passwordless with Universal Login"; the OTP grant type is checked only at
// /oauth/token).
import type { Client, Stores } from '../../store/types.js';
import { OAuthError } from '../errors.js';
import { isPasswordless } from '../passwordless.js';

export interface ConnectionDeps {
  stores: Pick<Stores, 'connections' | 'tenant'>;
  /** Database connections enabled for a client, by name (for the default connection). */
  databaseConnections(clientId: string): Promise<string[]>;
}

export async function resolveConnection(
  name: string | undefined,
  client: Client,
  deps: ConnectionDeps,
): Promise<string> {
  const enabled = await deps.databaseConnections(client.client_id);
  if (name) {
    const found = await deps.stores.connections.getByName(name);
    if (!found?.enabled_clients.includes(client.client_id)) {
      throw new OAuthError('invalid_request', `The connection "${name}" is not enabled for this application`);
    }
    if (found.strategy !== 'auth0' && !isPasswordless(found))
      throw new OAuthError('invalid_request', `Sign-in with connection "${name}" is not available on this server`);
    return name;
  }
  const tenant = await deps.stores.tenant.get();
  const connection =
    tenant.default_directory && enabled.includes(tenant.default_directory) ? tenant.default_directory : enabled[0];
  if (!connection) throw new OAuthError('invalid_request', 'No database connection is enabled for this application');
  return connection;
}
