// The tokens a user grant issues (authorization code now; refresh and password grants later): the
// access token for the API with RBAC applied (SPEC.md §5), or one good only for /userinfo, and an ID
// token when openid was granted.
import { randomUUID } from 'node:crypto';
import type { Client, ResourceServer, Stores, User } from '../../store/types.js';
import type { TokenResponse } from '../grants/types.js';
import type { Keyring } from '../keys.js';
import { signAccessToken } from './access-token.js';
import { signIdToken } from './id-token.js';

export const oidcScopes: readonly string[] = ['openid', 'profile', 'email'];
const USERINFO_TOKEN_LIFETIME = 86400;

export interface UserGrant {
  client: Client;
  user: User;
  requestedScope: readonly string[];
  audience?: string | null;
  nonce?: string | null;
  sid?: string | null;
  authTime: number;
  /** Auth0's gty claim for this grant, when it has one (password, refresh_token). */
  gty?: string;
  /** The access token's id, when the caller fixed it beforehand. */
  jti?: string;
}

export interface UserTokenDeps {
  stores: Pick<Stores, 'resourceServers' | 'roles'>;
  keyring: Keyring;
  issuer: string;
  now: () => number;
}

export interface IssuedUserTokens {
  response: TokenResponse;
  jti: string;
  expiresAt: number;
}

/** The API scopes a user may have: requested ∩ defined, and ∩ the user's permissions when the API enforces RBAC. */
async function grantedApiScopes(api: ResourceServer, grant: UserGrant, deps: UserTokenDeps) {
  const defined = new Set(api.scopes.map((s) => s.value));
  let scopes = grant.requestedScope.filter((s) => defined.has(s));
  const authz = api.token_dialect.endsWith('_authz');
  const permissions = api.enforce_policies || authz ? await deps.stores.roles.permissionsOfUser(grant.user.user_id, api.identifier) : [];
  // SPEC.md §5: with enforce_policies, scopes the user does not hold are dropped, not refused.
  if (api.enforce_policies) scopes = scopes.filter((s) => permissions.includes(s));
  return { scopes, permissions: authz ? permissions : undefined };
}

export async function issueUserTokens(grant: UserGrant, deps: UserTokenDeps): Promise<IssuedUserTokens> {
  const { issuer, keyring } = deps;
  const userinfoAudience = `${issuer}userinfo`;
  const openidScopes = grant.requestedScope.filter((s) => oidcScopes.includes(s));
  const api = grant.audience ? await deps.stores.resourceServers.getByIdentifier(grant.audience) : undefined;
  if (grant.audience && !api) throw new Error(`audience ${grant.audience} vanished`);

  const { scopes: apiScopes, permissions } = api ? await grantedApiScopes(api, grant, deps) : { scopes: [], permissions: undefined };
  const scope = [...openidScopes, ...apiScopes];
  // Without an API the access token is only good for /userinfo (SPEC.md §5).
  const resourceServer: ResourceServer = api ?? {
    id: 'userinfo',
    identifier: userinfoAudience,
    name: 'userinfo',
    scopes: [],
    signing_alg: 'RS256',
    token_lifetime: USERINFO_TOKEN_LIFETIME,
    token_lifetime_for_web: USERINFO_TOKEN_LIFETIME,
    allow_offline_access: false,
    skip_consent_for_verifiable_first_party_clients: true,
    enforce_policies: false,
    token_dialect: 'access_token',
    is_system: false,
  };
  const now = deps.now();
  const jti = grant.jti ?? randomUUID();
  const access_token = await signAccessToken(
    keyring,
    {
      issuer,
      subject: grant.user.user_id,
      clientId: grant.client.client_id,
      resourceServer,
      extraAudiences: api && openidScopes.includes('openid') ? [userinfoAudience] : undefined,
      scope,
      permissions,
      gty: grant.gty,
      lifetime: resourceServer.token_lifetime,
      jti,
    },
    now,
  );
  const response: TokenResponse = {
    access_token,
    token_type: 'Bearer',
    expires_in: resourceServer.token_lifetime,
    scope: scope.join(' '),
  };
  if (openidScopes.includes('openid')) {
    response.id_token = await signIdToken(
      keyring,
      { issuer, client: grant.client, user: grant.user, scope: openidScopes, nonce: grant.nonce, sid: grant.sid, authTime: grant.authTime },
      now,
    );
  }
  return { response, jti, expiresAt: now + resourceServer.token_lifetime * 1000 };
}
