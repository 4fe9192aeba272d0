// Complete domain objects for the store contract suites: every field set, JSON fields nested, booleans and
// nulls on both sides, so that a round trip that drops, renames or retypes a field shows. Ids are unique per call.
import { randomUUID } from 'node:crypto';
import type {
  AuthorizationCode,
  Client,
  ClientGrant,
  Connection,
  RefreshToken,
  ResourceServer,
  Role,
  Session,
  SigningKey,
  User,
} from '../../src/store/types.js';
import { T0 } from './open-store.js';

export const unique = (prefix: string) => `${prefix}-${randomUUID()}`;

export function client(overrides: Partial<Client> = {}): Client {
  return {
    client_id: unique('client'),
    name: 'Acme Web',
    description: 'The web app',
    app_type: 'regular_web',
    token_endpoint_auth_method: 'private_key_jwt',
    sealed_client_secret: 'sealed:v1:abc',
    is_first_party: true,
    is_token_endpoint_ip_header_trusted: true,
    grant_types: ['authorization_code', 'refresh_token'],
    callbacks: ['https://app.example/callback', 'http://localhost:3000/cb'],
    allowed_logout_urls: ['https://app.example/'],
    web_origins: ['https://app.example'],
    allowed_origins: [],
    cross_origin_authentication: false,
    logo_uri: 'https://app.example/logo.png',
    refresh_token: {
      rotation_type: 'rotating',
      expiration_type: 'expiring',
      token_lifetime: 2_592_000,
      idle_token_lifetime: 1_296_000,
      infinite_token_lifetime: false,
      infinite_idle_token_lifetime: true,
      leeway: 0,
    },
    jwt_configuration: { lifetime_in_seconds: 36_000, alg: 'RS256' },
    client_authentication_methods: {
      private_key_jwt: {
        credentials: [
          {
            credential_type: 'public_key',
            name: 'k1',
            pem: '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n',
            alg: 'ES256',
            kid: 'k1',
          },
        ],
      },
    },
    ...overrides,
  };
}

export function resourceServer(overrides: Partial<ResourceServer> = {}): ResourceServer {
  return {
    id: unique('rs'),
    identifier: unique('https://api.example/'),
    name: 'Orders API',
    scopes: [{ value: 'read:orders', description: 'Read orders' }, { value: 'write:orders' }],
    signing_alg: 'PS256',
    token_lifetime: 86_400,
    token_lifetime_for_web: 7200,
    allow_offline_access: true,
    skip_consent_for_verifiable_first_party_clients: false,
    enforce_policies: true,
    token_dialect: 'rfc9068_profile_authz',
    is_system: false,
    ...overrides,
  };
}

export function clientGrant(clientId: string, audience: string, overrides: Partial<ClientGrant> = {}): ClientGrant {
  return { id: unique('cgr'), client_id: clientId, audience, scope: ['read:orders', 'write:orders'], ...overrides };
}

export function connection(overrides: Partial<Connection> = {}): Connection {
  return {
    id: unique('con'),
    name: unique('db'),
    strategy: 'auth0',
    options: {
      passwordPolicy: 'good',
      password_complexity_options: { min_length: 12 },
      brute_force_protection: true,
      mfa: null,
    },
    enabled_clients: ['a', 'b'],
    ...overrides,
  };
}

export function user(overrides: Partial<User> = {}): User {
  return {
    user_id: unique('auth0|u'),
    connection: 'Username-Password-Authentication',
    email: `${randomUUID()}@acme.test`,
    email_verified: true,
    username: 'ada',
    phone_number: '+15555550100',
    phone_verified: false,
    name: 'Ada Lovelace',
    given_name: 'Ada',
    family_name: 'Lovelace',
    nickname: 'ada',
    picture: 'https://cdn.example/ada.png',
    password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    user_metadata: { theme: 'dark', langs: ['en', 'fr'], nested: { n: 1.5, ok: false, none: null } },
    app_metadata: { plan: 'pro', seats: 3 },
    blocked: false,
    created_at: T0,
    updated_at: T0 + 1,
    ...overrides,
  };
}

/** A user with every optional field null and the booleans the other way round. */
export function bareUser(overrides: Partial<User> = {}): User {
  return user({
    email: null,
    email_verified: false,
    username: null,
    phone_number: null,
    phone_verified: true,
    name: null,
    given_name: null,
    family_name: null,
    nickname: null,
    picture: null,
    password_hash: null,
    user_metadata: {},
    app_metadata: {},
    blocked: true,
    ...overrides,
  });
}

export function role(overrides: Partial<Role> = {}): Role {
  return { id: unique('rol'), name: unique('role'), description: 'Can do things', ...overrides };
}

export function signingKey(overrides: Partial<SigningKey> = {}): SigningKey {
  const kid = unique('kid');
  return {
    kid,
    alg: 'ES256',
    status: 'next',
    public_jwk: {
      kty: 'EC',
      crv: 'P-256',
      x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
      y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
      kid,
      use: 'sig',
    },
    sealed_private_jwk: 'sealed:v1:private',
    created_at: T0,
    current_since: null,
    previous_since: null,
    revoked_at: null,
    certificate: null,
    ...overrides,
  };
}

export function session(userId: string, overrides: Partial<Session> = {}): Session {
  return {
    sid: unique('sid'),
    user_id: userId,
    authenticated_at: T0,
    created_at: T0 + 1,
    last_active_at: T0 + 2,
    expires_at: T0 + 86_400_000,
    ...overrides,
  };
}

export function authorizationCode(overrides: Partial<AuthorizationCode> = {}): AuthorizationCode {
  return {
    code_hash: unique('code'),
    client_id: 'web',
    user_id: 'auth0|ada',
    redirect_uri: 'https://app.example/callback',
    scope: 'openid profile offline_access',
    audience: 'https://api.example/',
    nonce: 'n-0S6_WzA2Mj',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    sid: 'sid-1',
    auth_time: T0 - 5000,
    created_at: T0,
    expires_at: T0 + 60_000,
    consumed_at: null,
    issued_jti: null,
    issued_expires_at: null,
    issued_family_id: null,
    replayed_at: null,
    ...overrides,
  };
}

export function refreshToken(userId: string, overrides: Partial<RefreshToken> = {}): RefreshToken {
  return {
    token_hash: unique('rt'),
    family_id: unique('fam'),
    parent_hash: null,
    client_id: 'web',
    user_id: userId,
    scope: 'openid offline_access',
    audience: 'https://api.example/',
    sid: 'sid-1',
    auth_time: T0 - 5000,
    family_created_at: T0,
    created_at: T0,
    last_used_at: T0,
    rotated_at: null,
    revoked_at: null,
    ...overrides,
  };
}

/** Owners and limits for creating login transactions in tests that are not about the pending caps. */
export const anyOwner = { ip: '192.0.2.1' };
export const roomyLimits = { perIp: 1_000_000, perBrowser: 1_000_000 };
