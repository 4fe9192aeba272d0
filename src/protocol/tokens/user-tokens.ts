// The tokens a user grant issues (authorization code now; refresh and password grants later): the
// access token for the API with RBAC applied, or one good only for /userinfo, and an ID
// token when openid was granted.
import { randomUUID } from 'node:crypto';
import type { Client, ResourceServer, Stores, User } from '../../store/types.js';
import type { TokenResponse } from './token-response.js';
import type { SigningKeys } from '../keys/keyring.js';
import { signAccessToken } from './access-token.js';
import { halfHash, signIdToken } from './id-token.js';
import { mintRefreshToken, type RefreshFamily } from './refresh-token.js';

export const oidcScopes: readonly string[] = ['openid', 'profile', 'email'];
const OFFLINE_ACCESS = 'offline_access';
const USERINFO_TOKEN_LIFETIME = 86400;
const USERINFO_WEB_TOKEN_LIFETIME = 7200;

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
  /**
   * The refresh token to issue: by default a new family when offline_access was asked for and allowed;
   * 'none' for no refresh token; a family to continue when a rotating refresh token was spent.
   */
  refresh?: 'none' | RefreshFamily;
  /** The id of the new refresh token family, when the caller fixed it beforehand (as jti). */
  newFamilyId?: string;
  /** The scope a new refresh token keeps (RFC 6749 §6: a rotated token keeps the original scope). */
  refreshScope?: readonly string[];
  /**
   * Set when the tokens go back from /authorize (implicit and hybrid types): the web token lifetime, no
   * refresh token, and the ID token binds the code (c_hash) and the access token (at_hash) it travels with.
   */
  frontChannel?: { code?: string; returnsAccessToken: boolean };
}

export interface UserTokenDeps {
  stores: Pick<Stores, 'resourceServers' | 'roles' | 'refreshTokens'>;
  keyring: SigningKeys;
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
  const permissions =
    api.enforce_policies || authz ? await deps.stores.roles.permissionsOfUser(grant.user.user_id, api.identifier) : [];
  // With enforce_policies, scopes the user does not hold are dropped, not refused (Auth0 docs: "Enable Role-Based Access
  // Control for APIs", /docs/get-started/apis/enable-role-based-access-control-for-apis).
  if (api.enforce_policies) scopes = scopes.filter((s) => permissions.includes(s));
  return { scopes, permissions: authz ? permissions : undefined };
}

export async function issueUserTokens(grant: UserGrant, deps: UserTokenDeps): Promise<IssuedUserTokens> {
  const { issuer, keyring } = deps;
  const userinfoAudience = `${issuer}userinfo`;
  const openidScopes = grant.requestedScope.filter((s) => oidcScopes.includes(s));
  const api = grant.audience ? await deps.stores.resourceServers.getByIdentifier(grant.audience) : undefined;
  if (grant.audience && !api) throw new Error(`audience ${grant.audience} vanished`);

  const { scopes: apiScopes, permissions } = api
    ? await grantedApiScopes(api, grant, deps)
    : { scopes: [], permissions: undefined };
  // OIDC Core §11: a refresh token for offline_access, when the client may use the grant and the API allows it (Auth0
  // docs: "Refresh Tokens", /docs/secure/tokens/refresh-tokens, "Allow Offline Access").
  const offline =
    grant.refresh !== 'none' &&
    !grant.frontChannel &&
    grant.requestedScope.includes(OFFLINE_ACCESS) &&
    grant.client.grant_types.includes('refresh_token') &&
    (api ? api.allow_offline_access : true);
  const scope = [...openidScopes, ...apiScopes, ...(offline ? [OFFLINE_ACCESS] : [])];
  // Without an API the access token is only good for /userinfo (Auth0 docs: "Access Tokens", /docs/secure/tokens/access-tokens).
  const resourceServer: ResourceServer = api ?? {
    id: 'userinfo',
    identifier: userinfoAudience,
    name: 'userinfo',
    scopes: [],
    signing_alg: 'RS256',
    token_lifetime: USERINFO_TOKEN_LIFETIME,
    token_lifetime_for_web: USERINFO_WEB_TOKEN_LIFETIME,
    allow_offline_access: false,
    skip_consent_for_verifiable_first_party_clients: true,
    enforce_policies: false,
    token_dialect: 'access_token',
    is_system: false,
  };
  const now = deps.now();
  const jti = grant.jti ?? randomUUID();
  const lifetime = grant.frontChannel ? resourceServer.token_lifetime_for_web : resourceServer.token_lifetime;
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
      lifetime,
      jti,
    },
    now,
  );
  const response: TokenResponse = {
    access_token,
    token_type: 'Bearer',
    expires_in: lifetime,
    scope: scope.join(' '),
  };
  if (openidScopes.includes('openid')) {
    response.id_token = await signIdToken(
      keyring,
      {
        issuer,
        client: grant.client,
        user: grant.user,
        scope: openidScopes,
        nonce: grant.nonce,
        sid: grant.sid,
        authTime: grant.authTime,
        hashes: grant.frontChannel && {
          ...(grant.frontChannel.returnsAccessToken ? { at_hash: halfHash(access_token) } : {}),
          ...(grant.frontChannel.code ? { c_hash: halfHash(grant.frontChannel.code) } : {}),
        },
      },
      now,
    );
  }
  if (offline) {
    response.refresh_token = await mintRefreshToken(
      deps.stores.refreshTokens,
      {
        client_id: grant.client.client_id,
        user_id: grant.user.user_id,
        scope: (grant.refreshScope ?? grant.requestedScope).join(' '),
        audience: grant.audience ?? null,
        sid: grant.sid ?? null,
        auth_time: grant.authTime,
        family: typeof grant.refresh === 'object' ? grant.refresh : undefined,
        newFamilyId: grant.newFamilyId,
      },
      now,
    );
  }
  return { response, jti, expiresAt: now + lifetime * 1000 };
}
