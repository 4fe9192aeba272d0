// Typed tables. Booleans are 0/1 integers and timestamps epoch milliseconds in both dialects, and
// JSON values are text, so SQLite and PostgreSQL rows read the same.
import type { ColumnType } from 'kysely';

type Json = string;
type Bool = number;
type Millis = number;

export interface TenantTable {
  id: number;
  settings: Json;
  updated_at: Millis;
}

export interface ResourceServerTable {
  id: string;
  identifier: string;
  name: string;
  scopes: Json;
  signing_alg: string;
  token_lifetime: number;
  token_lifetime_for_web: number;
  allow_offline_access: Bool;
  skip_consent_for_verifiable_first_party_clients: Bool;
  enforce_policies: Bool;
  token_dialect: string;
  is_system: Bool;
  /** Auth0 fields stored and returned without effect (migration 0012), a JSON object. */
  inert: Json;
  created_at: Millis;
  updated_at: Millis;
}

export interface ClientTable {
  client_id: string;
  name: string;
  description: string;
  app_type: string;
  token_endpoint_auth_method: string;
  /** Sealed with the master secret (crypto/secret-box.ts); null for public clients. */
  client_secret: string | null;
  is_first_party: Bool;
  is_token_endpoint_ip_header_trusted: Bool;
  grant_types: Json;
  callbacks: Json;
  allowed_logout_urls: Json;
  web_origins: Json;
  allowed_origins: Json;
  cross_origin_authentication: Bool;
  logo_uri: string | null;
  refresh_token: Json;
  jwt_configuration: Json;
  client_authentication_methods: Json | null;
  /** Auth0 fields stored and returned without effect (migration 0012), a JSON object. */
  inert: Json;
  created_at: Millis;
  updated_at: Millis;
}

export interface ClientGrantTable {
  id: string;
  client_id: string;
  audience: string;
  scope: Json;
  created_at: Millis;
  updated_at: Millis;
}

export interface ConnectionTable {
  id: string;
  name: string;
  strategy: string;
  options: Json;
  enabled_clients: Json;
  /** Auth0 fields stored and returned without effect (migration 0012), a JSON object. */
  inert: Json;
  created_at: Millis;
  updated_at: Millis;
}

export interface UserTable {
  user_id: string;
  connection: string;
  email: string | null;
  email_verified: Bool;
  username: string | null;
  phone_number: string | null;
  phone_verified: Bool;
  name: string | null;
  given_name: string | null;
  family_name: string | null;
  nickname: string | null;
  picture: string | null;
  password_hash: string | null;
  user_metadata: Json;
  app_metadata: Json;
  blocked: Bool;
  logins_count: number;
  last_login: Millis | null;
  last_ip: string | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface RoleTable {
  id: string;
  name: string;
  description: string;
  created_at: Millis;
  updated_at: Millis;
}

export interface RolePermissionTable {
  role_id: string;
  resource_server_identifier: string;
  permission_name: string;
}

/** A permission given to a user directly, not through a role. */
export interface UserPermissionTable {
  user_id: string;
  resource_server_identifier: string;
  permission_name: string;
}

export interface UserRoleTable {
  user_id: string;
  role_id: string;
}

export interface SigningKeyTable {
  kid: string;
  alg: string;
  /** next → current → previous → revoked */
  status: string;
  public_jwk: Json;
  /** The private JWK, sealed with the master secret. */
  private_jwk: string;
  created_at: Millis;
  current_since: Millis | null;
  previous_since: Millis | null;
  revoked_at: Millis | null;
  /** The key's self-signed X.509 certificate, base64 DER; null for keys made before migration 0015. */
  certificate: string | null;
}

export interface ClientAssertionJtiTable {
  client_id: string;
  jti: string;
  expires_at: Millis;
}

/** One row per named lock; a transaction that updates the row first holds it until commit, on both dialects. */
export interface LockTable {
  name: string;
  n: ColumnType<number, number, number>;
}

export interface SessionTable {
  id_hash: string;
  sid: string;
  user_id: string;
  authenticated_at: Millis;
  created_at: Millis;
  last_active_at: Millis;
  expires_at: Millis;
}

export interface LoginTransactionTable {
  id: string;
  client_id: string;
  request: Json;
  created_at: Millis;
  expires_at: Millis;
  /** The network that started it (IPv4 address or IPv6 /64); null on rows from before 0007. */
  ip: string | null;
  /** A hash of the starting browser's cookie; null without one. */
  browser: string | null;
}

/** One row per network or browser with pending transactions: the row whose lock serialises its cap check. */
export interface LoginTransactionOwnerTable {
  owner: string;
  expires_at: Millis;
}

export interface AuthorizationCodeTable {
  code_hash: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  scope: string;
  audience: string | null;
  nonce: string | null;
  code_challenge: string | null;
  code_challenge_method: string | null;
  sid: string | null;
  auth_time: Millis;
  created_at: Millis;
  expires_at: Millis;
  consumed_at: Millis | null;
  issued_jti: string | null;
  issued_expires_at: Millis | null;
  issued_family_id: string | null;
  replayed_at: Millis | null;
}

export interface RevokedTokenTable {
  jti: string;
  expires_at: Millis;
}

export interface LoginFailureTable {
  connection: string;
  /** The e-mail typed, lower-case, whether or not an account has it. */
  identifier: string;
  ip: string;
  /** Attempts taken and not given back by a successful login. */
  failures: number;
  /** When the last attempt was taken: a block lasts from the last counted failure. */
  last_failure_at: Millis;
}

/** A login ticket from /co/authenticate: redeemed once at /authorize, by the browser that holds the verifier. */
export interface LoginTicketTable {
  ticket_hash: string;
  client_id: string;
  connection: string;
  user_id: string;
  /** SHA-256 of the verifier cookie set with the ticket. */
  verifier_hash: string;
  created_at: Millis;
  expires_at: Millis;
}

export interface UserTicketTable {
  ticket_hash: string;
  kind: string;
  user_id: string;
  client_id: string | null;
  result_url: string | null;
  mark_email_verified: Bool;
  include_email: Bool;
  created_at: Millis;
  expires_at: Millis;
  used_at: Millis | null;
}

export interface WriteProbeTable {
  id: number;
  data: string;
}

export interface IpThrottleTable {
  kind: string;
  ip: string;
  /** Attempts counted, less what has leaked back since updated_at. */
  used: number;
  updated_at: Millis;
}

export interface PasswordlessCodeTable {
  connection: string;
  identifier: string;
  code_hash: string;
  client_id: string;
  auth_params: string | null;
  binding: string | null;
  attempts: number;
  created_at: Millis;
  expires_at: Millis;
  used_at: Millis | null;
}

export interface DeviceCodeTable {
  device_code_hash: string;
  user_code: string;
  client_id: string;
  scope: string;
  audience: string | null;
  created_at: Millis;
  expires_at: Millis;
  poll_interval: number;
  last_polled_at: Millis | null;
  status: string;
  user_id: string | null;
  sid: string | null;
  auth_time: Millis | null;
  redeemed_at: Millis | null;
}

export interface BrandingTemplateTable {
  name: string;
  body: string;
  updated_at: Millis;
}

export interface RefreshTokenTable {
  token_hash: string;
  family_id: string;
  /** The token this one replaced, in a rotating family. */
  parent_hash: string | null;
  client_id: string;
  user_id: string;
  scope: string;
  audience: string | null;
  sid: string | null;
  auth_time: Millis;
  family_created_at: Millis;
  created_at: Millis;
  last_used_at: Millis;
  rotated_at: Millis | null;
  revoked_at: Millis | null;
  /** An imported token's expiry at the server it came from; null for tokens issued here. */
  expires_at?: Millis | null;
}

export interface JobTable {
  id: string;
  type: string;
  status: string;
  connection_id: string | null;
  details: string;
  input: string | null;
  summary: string | null;
  errors: string | null;
  output: string | null;
  download_secret: string | null;
  created_at: Millis;
  updated_at: Millis;
}

export interface ConsentTable {
  /** The grant's id in the Management API (/api/v2/grants). */
  id: string;
  user_id: string;
  client_id: string;
  /** The API identifier, or '' for OpenID Connect scopes alone. */
  audience: string;
  scope: string;
  updated_at: Millis;
}

/** One audit event (Auth0's log fields); `details` is JSON text. */
export interface LogTable {
  log_id: string;
  date: Millis;
  type: string;
  description: string | null;
  ip: string | null;
  user_agent: string | null;
  client_id: string | null;
  client_name: string | null;
  user_id: string | null;
  user_name: string | null;
  connection: string | null;
  connection_id: string | null;
  audience: string | null;
  scope: string | null;
  strategy: string | null;
  details: string | null;
}

export interface OutboxTable {
  id: string;
  channel: string;
  kind: string | null;
  recipient: string;
  sender: string | null;
  subject: string | null;
  text_body: string;
  html_body: string | null;
  attempts: number;
  next_attempt_at: Millis;
  claimed_until: Millis;
  last_error: string | null;
  created_at: Millis;
}

export interface TestOutboxTable {
  id: string;
  seq: Millis;
  channel: string;
  kind: string | null;
  recipient: string;
  sender: string | null;
  subject: string | null;
  text_body: string;
  html_body: string | null;
  link: string | null;
  code: string | null;
  created_at: Millis;
}

export interface EmailTemplateTable {
  template: string;
  body: string;
  sender: string | null;
  subject: string;
  result_url: string | null;
  url_lifetime_in_seconds: number | null;
  include_email_in_redirect: number;
  enabled: number;
  updated_at: Millis;
}

export interface Database {
  jobs: JobTable;
  outbox: OutboxTable;
  test_outbox: TestOutboxTable;
  email_templates: EmailTemplateTable;
  logs: LogTable;
  consents: ConsentTable;
  refresh_tokens: RefreshTokenTable;
  sessions: SessionTable;
  login_transactions: LoginTransactionTable;
  login_tickets: LoginTicketTable;
  user_tickets: UserTicketTable;
  login_transaction_owners: LoginTransactionOwnerTable;
  authorization_codes: AuthorizationCodeTable;
  revoked_tokens: RevokedTokenTable;
  login_failures: LoginFailureTable;
  ip_throttles: IpThrottleTable;
  passwordless_codes: PasswordlessCodeTable;
  device_codes: DeviceCodeTable;
  write_probe: WriteProbeTable;
  branding_templates: BrandingTemplateTable;
  tenant: TenantTable;
  resource_servers: ResourceServerTable;
  clients: ClientTable;
  client_grants: ClientGrantTable;
  connections: ConnectionTable;
  users: UserTable;
  roles: RoleTable;
  role_permissions: RolePermissionTable;
  user_roles: UserRoleTable;
  user_permissions: UserPermissionTable;
  signing_keys: SigningKeyTable;
  client_assertion_jtis: ClientAssertionJtiTable;
  locks: LockTable;
}
