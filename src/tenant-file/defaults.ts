// Auth0's defaults for objects created without every field.
import type { AppType, Client, ResourceServer, TokenEndpointAuthMethod } from '../store/types.js';

export function defaultAuthMethod(appType: AppType): TokenEndpointAuthMethod {
  return appType === 'spa' || appType === 'native' ? 'none' : 'client_secret_post';
}

export function defaultGrantTypes(appType: AppType, method: TokenEndpointAuthMethod): string[] {
  if (appType === 'non_interactive') return ['client_credentials'];
  const interactive = ['authorization_code', 'implicit', 'refresh_token'];
  return method === 'none' ? interactive : [...interactive, 'client_credentials'];
}

export function defaultRefreshToken(appType: AppType): Client['refresh_token'] {
  const rotating = appType === 'spa' || appType === 'native';
  return {
    rotation_type: rotating ? 'rotating' : 'non-rotating',
    expiration_type: rotating ? 'expiring' : 'non-expiring',
    token_lifetime: 2592000,
    idle_token_lifetime: 1296000,
    infinite_token_lifetime: !rotating,
    infinite_idle_token_lifetime: !rotating,
    leeway: 0,
  };
}

export function newClient(client_id: string, appType: AppType, method: TokenEndpointAuthMethod): Client {
  return {
    client_id,
    name: client_id,
    description: '',
    app_type: appType,
    token_endpoint_auth_method: method,
    sealed_client_secret: null,
    is_first_party: true,
    is_token_endpoint_ip_header_trusted: false,
    grant_types: defaultGrantTypes(appType, method),
    callbacks: [],
    allowed_logout_urls: [],
    web_origins: [],
    allowed_origins: [],
    cross_origin_authentication: false,
    logo_uri: null,
    refresh_token: defaultRefreshToken(appType),
    jwt_configuration: { lifetime_in_seconds: 36000, alg: 'RS256' },
    client_authentication_methods: null,
  };
}

export function newResourceServer(id: string, identifier: string): ResourceServer {
  return {
    id,
    identifier,
    name: identifier,
    scopes: [],
    signing_alg: 'RS256',
    token_lifetime: 86400,
    token_lifetime_for_web: 7200,
    allow_offline_access: false,
    skip_consent_for_verifiable_first_party_clients: true,
    enforce_policies: false,
    token_dialect: 'access_token',
    is_system: false,
  };
}
