// RFC 6749 §4.4, as Auth0 does it: the client grant for the audience is the policy.
import { OAuthError } from '../errors.js';
import { parseScope } from '../scopes.js';
import { signAccessToken } from '../tokens/access-token.js';
import type { Grant } from './types.js';

export const clientCredentials: Grant<'tenant' | 'resourceServers' | 'clientGrants'> = {
  grantType: 'client_credentials',
  parameters: ['audience', 'scope'],

  async handle({ params, client }, { stores, keyring, issuer, now }) {
    // RFC 6749 §4.4: only confidential clients may use this grant.
    if (client.token_endpoint_auth_method === 'none') {
      throw new OAuthError('unauthorized_client', 'Public clients cannot use the client_credentials grant');
    }
    const audience = params.audience || (await stores.tenant.get()).default_audience;
    if (!audience) {
      throw new OAuthError(
        'access_denied',
        'No audience parameter was provided, and no default audience has been configured',
      );
    }
    const resourceServer = await stores.resourceServers.getByIdentifier(audience);
    if (!resourceServer) throw new OAuthError('access_denied', `Service not found: ${audience}`);

    const grant = await stores.clientGrants.find(client.client_id, audience);
    if (!grant) {
      throw new OAuthError(
        'access_denied',
        `Client is not authorized to access "${audience}". You need to create a client grant associated to this API.`,
      );
    }
    const requested = parseScope(params.scope);
    const refused = requested.filter((s) => !grant.scope.includes(s));
    if (refused.length)
      throw new OAuthError('access_denied', `Client has not been granted scopes: ${refused.join(', ')}`);
    const scope = requested.length ? requested : grant.scope;

    const issuedAt = now();
    const access_token = await signAccessToken(
      keyring,
      {
        issuer,
        subject: `${client.client_id}@clients`,
        clientId: client.client_id,
        resourceServer,
        scope,
        permissions: scope,
        gty: 'client-credentials',
        lifetime: resourceServer.token_lifetime,
      },
      issuedAt,
    );
    return { access_token, token_type: 'Bearer', expires_in: resourceServer.token_lifetime, scope: scope.join(' ') };
  },
};
