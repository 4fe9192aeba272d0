// The connection to sign in with (Auth0 docs: "Authentication API", /docs/api/authentication, the connection
// parameter of /authorize): the one asked for when it is enabled for the client, else the tenant's default
// directory when that is enabled for it, else the client's first enabled database connection.
import type { Client, Stores } from '../../store/types.js';
import { OAuthError } from '../errors.js';

export interface ConnectionDeps {
  stores: Pick<Stores, 'connections' | 'tenant'>;
  /** Database connections enabled for a client, by name (for the default connection). */
  databaseConnections(clientId: string): Promise<string[]>;
  /** A passwordless connection the request has already signed in with (a magic link): accepted by name. */
  passwordlessSignIn?: string;
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
    if (found.strategy !== 'auth0' && found.name !== deps.passwordlessSignIn)
      throw new OAuthError(
        'invalid_request',
        `Passwordless sign-in (connection "${name}") is not available on this server yet`,
      );
    return name;
  }
  const tenant = await deps.stores.tenant.get();
  const connection =
    tenant.default_directory && enabled.includes(tenant.default_directory) ? tenant.default_directory : enabled[0];
  if (!connection) throw new OAuthError('invalid_request', 'No database connection is enabled for this application');
  return connection;
}
