// One small interface per concern. Domain objects use Auth0's field names; implementations live in kysely/.
import type { JWK } from 'jose';

export type AppType = 'regular_web' | 'spa' | 'native' | 'non_interactive';
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
export type SigningAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
export type TokenDialect = 'access_token' | 'access_token_authz' | 'rfc9068_profile' | 'rfc9068_profile_authz';

export interface PublicKeyCredential {
  credential_type: 'public_key';
  name: string;
  pem: string;
  alg: 'RS256' | 'RS384' | 'PS256' | 'ES256';
  kid?: string;
}

export interface RefreshTokenSettings {
  rotation_type: 'rotating' | 'non-rotating';
  expiration_type: 'expiring' | 'non-expiring';
  token_lifetime: number;
  idle_token_lifetime: number;
  infinite_token_lifetime?: boolean;
  infinite_idle_token_lifetime?: boolean;
  leeway: number;
}

export interface Client {
  client_id: string;
  name: string;
  description: string;
  app_type: AppType;
  token_endpoint_auth_method: TokenEndpointAuthMethod;
  /** The client secret sealed with the master secret; null for clients without one. */
  sealed_client_secret: string | null;
  is_first_party: boolean;
  grant_types: string[];
  callbacks: string[];
  allowed_logout_urls: string[];
  web_origins: string[];
  allowed_origins: string[];
  logo_uri: string | null;
  refresh_token: RefreshTokenSettings;
  jwt_configuration: { lifetime_in_seconds: number; alg?: string };
  client_authentication_methods: { private_key_jwt?: { credentials: PublicKeyCredential[] } } | null;
}

export interface ResourceServerScope {
  value: string;
  description?: string;
}

export interface ResourceServer {
  id: string;
  identifier: string;
  name: string;
  scopes: ResourceServerScope[];
  signing_alg: SigningAlg;
  token_lifetime: number;
  token_lifetime_for_web: number;
  allow_offline_access: boolean;
  skip_consent_for_verifiable_first_party_clients: boolean;
  enforce_policies: boolean;
  token_dialect: TokenDialect;
  /** The Management API: created by Gatehouse, not deletable. */
  is_system: boolean;
}

export interface ClientGrant {
  id: string;
  client_id: string;
  audience: string;
  scope: string[];
}

export interface Connection {
  id: string;
  name: string;
  strategy: string;
  options: Record<string, unknown>;
  enabled_clients: string[];
}

export interface User {
  user_id: string;
  connection: string;
  email: string | null;
  email_verified: boolean;
  username: string | null;
  phone_number: string | null;
  name: string | null;
  given_name: string | null;
  family_name: string | null;
  nickname: string | null;
  picture: string | null;
  password_hash: string | null;
  user_metadata: Record<string, unknown>;
  app_metadata: Record<string, unknown>;
  blocked: boolean;
  created_at: number;
  updated_at: number;
}

export interface Role {
  id: string;
  name: string;
  description: string;
}

export interface Permission {
  resource_server_identifier: string;
  permission_name: string;
}

export type SigningKeyStatus = 'next' | 'current' | 'previous' | 'revoked';

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  status: SigningKeyStatus;
  public_jwk: JWK;
  /** The private JWK sealed with the master secret. */
  sealed_private_jwk: string;
  created_at: number;
  current_since: number | null;
  previous_since: number | null;
  revoked_at: number | null;
}

export interface TenantSettings {
  friendly_name?: string;
  default_audience?: string;
  default_directory?: string;
  session_lifetime?: number;
  idle_session_lifetime?: number;
  support_email?: string;
  support_url?: string;
  picture_url?: string;
  allowed_logout_urls?: string[];
  /** Set once the first-start development client has been created (or a tenant file made it moot). */
  gatehouse_initialized?: boolean;
}

export type Patch<T> = Partial<Omit<T, 'id' | 'client_id' | 'user_id' | 'kid'>>;

export interface TenantStore {
  get(): Promise<TenantSettings>;
  put(settings: TenantSettings): Promise<void>;
}

export interface ClientStore {
  get(clientId: string): Promise<Client | undefined>;
  insert(client: Client): Promise<void>;
  update(clientId: string, patch: Patch<Client>): Promise<void>;
  count(): Promise<number>;
}

export interface ResourceServerStore {
  getByIdentifier(identifier: string): Promise<ResourceServer | undefined>;
  insert(resourceServer: ResourceServer): Promise<void>;
  update(id: string, patch: Patch<ResourceServer>): Promise<void>;
}

export interface ClientGrantStore {
  find(clientId: string, audience: string): Promise<ClientGrant | undefined>;
  insert(grant: ClientGrant): Promise<void>;
  update(id: string, patch: Patch<ClientGrant>): Promise<void>;
}

export interface ConnectionStore {
  getByName(name: string): Promise<Connection | undefined>;
  insert(connection: Connection): Promise<void>;
  update(id: string, patch: Patch<Connection>): Promise<void>;
}

export interface UserStore {
  get(userId: string): Promise<User | undefined>;
  findByEmail(connection: string, email: string): Promise<User | undefined>;
  insert(user: User): Promise<void>;
  update(userId: string, patch: Patch<User>): Promise<void>;
}

export interface RoleStore {
  getByName(name: string): Promise<Role | undefined>;
  insert(role: Role): Promise<void>;
  update(id: string, patch: Patch<Role>): Promise<void>;
  permissions(roleId: string): Promise<Permission[]>;
  setPermissions(roleId: string, permissions: Permission[]): Promise<void>;
  members(roleId: string): Promise<string[]>;
  setMembers(roleId: string, userIds: string[]): Promise<void>;
}

export interface SigningKeyStore {
  /** Every key not revoked, oldest first. */
  listPublished(): Promise<SigningKey[]>;
  list(): Promise<SigningKey[]>;
  insert(key: SigningKey): Promise<void>;
  setStatus(kid: string, status: SigningKeyStatus, at: number): Promise<void>;
}

export interface ClientAssertionStore {
  /** Records a client assertion's jti until it expires; false when it was already used (a replay). */
  remember(clientId: string, jti: string, expiresAt: number): Promise<boolean>;
}

export interface Stores {
  tenant: TenantStore;
  clients: ClientStore;
  resourceServers: ResourceServerStore;
  clientGrants: ClientGrantStore;
  connections: ConnectionStore;
  users: UserStore;
  roles: RoleStore;
  signingKeys: SigningKeyStore;
  clientAssertions: ClientAssertionStore;
}

export type LockName = 'tenant' | 'signing_keys';

export interface Store extends Stores {
  dialect: 'sqlite' | 'postgres';
  /** Runs fn in one transaction, after taking the named lock (serialised across processes and instances). */
  transaction<T>(lock: LockName | null, fn: (tx: Stores) => Promise<T>): Promise<T>;
  /** Changes whenever a locked transaction ran: what caches compare to know they are stale. */
  changeVersion(): Promise<string>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
