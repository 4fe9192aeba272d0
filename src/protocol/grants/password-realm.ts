// Auth0's password-realm grant (Auth0 docs: "Resource Owner Password Flow", "Realm Support"): the password
// grant with `realm` naming the database connection the user belongs to.
import { missingParameter } from '../errors.js';
import {
  credentialsOf,
  enabledDatabaseConnection,
  issueForPassword,
  type ResourceOwnerPart,
} from './resource-owner.js';
import type { Grant } from './types.js';

export const passwordRealm: Grant<ResourceOwnerPart> = {
  grantType: 'http://auth0.com/oauth/grant-type/password-realm',
  parameters: ['username', 'password', 'realm', 'audience', 'scope'],

  async handle(request, deps) {
    const credentials = credentialsOf(request.params);
    const { realm } = request.params;
    if (!realm) throw missingParameter('realm');
    const connection = enabledDatabaseConnection(await deps.stores.connections.getByName(realm), request.client);
    return issueForPassword(request, deps, connection, credentials);
  },
};
