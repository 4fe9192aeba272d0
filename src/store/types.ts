// One small interface per concern. Domain objects use Auth0's field names; implementations live in kysely/.
import type { JWK } from 'jose';

// Auth0's names for the values these objects take, each listed once: the types below, the tenant file's
// schemas and discovery all read these lists.
export const appTypes = ['regular_web', 'spa', 'native', 'non_interactive'] as const;
export type AppType = (typeof appTypes)[number];
export const tokenEndpointAuthMethods = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
] as const;
export type TokenEndpointAuthMethod = (typeof tokenEndpointAuthMethods)[number];
/** What Gatehouse signs tokens with. */
export const signingAlgs = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type SigningAlg = (typeof signingAlgs)[number];
export const tokenDialects = [
  'access_token',
  'access_token_authz',
  'rfc9068_profile',
  'rfc9068_profile_authz',
] as const;
export type TokenDialect = (typeof tokenDialects)[number];
/** What a private_key_jwt client may sign its assertions with. */
export const credentialAlgs = ['RS256', 'RS384', 'PS256', 'ES256'] as const;

export interface PublicKeyCredential {
  credential_type: 'public_key';
  name: string;
  pem: string;
  alg: (typeof credentialAlgs)[number];
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
  /**
   * Whether /oauth/token believes the client's auth0-forwarded-for header (the end user's IP) for attack
   * protection; only for a client that authenticates (Auth0: "Trust Token Endpoint IP Header").
   */
  is_token_endpoint_ip_header_trusted: boolean;
  grant_types: string[];
  callbacks: string[];
  allowed_logout_urls: string[];
  web_origins: string[];
  allowed_origins: string[];
  /** Auth0's "Allow Cross-Origin Authentication": embedded login through /co/authenticate. */
  cross_origin_authentication: boolean;
  logo_uri: string | null;
  refresh_token: RefreshTokenSettings;
  jwt_configuration: { lifetime_in_seconds: number; alg?: string };
  client_authentication_methods: { private_key_jwt?: { credentials: PublicKeyCredential[] } } | null;
  /** Auth0 fields Gatehouse keeps and returns but does not act on (docs/management-api.md); absent when none. */
  inert?: Record<string, unknown>;
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
  /** Auth0 fields Gatehouse keeps and returns but does not act on (docs/management-api.md); absent when none. */
  inert?: Record<string, unknown>;
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
  /** Auth0 fields Gatehouse keeps and returns but does not act on (docs/management-api.md); absent when none. */
  inert?: Record<string, unknown>;
}

export interface User {
  user_id: string;
  connection: string;
  email: string | null;
  email_verified: boolean;
  username: string | null;
  phone_number: string | null;
  phone_verified: boolean;
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

/** Where a user's permission comes from: given directly (empty id and name) or through a role. */
export interface PermissionSource {
  source_id: string;
  source_name: string;
  source_type: 'DIRECT' | 'ROLE';
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
  /** The key's self-signed X.509 certificate, base64 DER; null until made for a key older than certificates. */
  certificate: string | null;
}

export interface BrandingSettings {
  colors?: { primary?: string; page_background?: string | Record<string, unknown> };
  logo_url?: string;
  favicon_url?: string;
  font?: { url?: string };
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
  /** Auth0's branding settings (/api/v2/branding); the login pages use colors and logo_url. */
  branding?: BrandingSettings;
  /** Auth0 tenant settings Gatehouse accepts and returns but does not act on (flags, enabled_locales, …). */
  stored_without_effect?: Record<string, unknown>;
  /** Set once the first-start development client has been created (or a tenant file made it moot). */
  gatehouse_initialized?: boolean;
}

export interface Session {
  /** The public session id (the ID token's `sid`); the cookie holds a different secret. */
  sid: string;
  user_id: string;
  authenticated_at: number;
  created_at: number;
  last_active_at: number;
  expires_at: number;
}

export interface LoginTransaction<Request = unknown> {
  id: string;
  client_id: string;
  request: Request;
  created_at: number;
  expires_at: number;
}

/** What /co/authenticate proved: redeemed once at /authorize for the same client and connection. */
export interface LoginTicket {
  ticket_hash: string;
  client_id: string;
  connection: string;
  user_id: string;
  /** SHA-256 of the verifier that the browser holds in a cookie. */
  verifier_hash: string;
  created_at: number;
  expires_at: number;
}

export type UserTicketKind = 'password_change' | 'email_verification';

/** A password-change or e-mail-verification link (Auth0 Management API v2, "Tickets"), by the token's hash. */
export interface UserTicket {
  ticket_hash: string;
  kind: UserTicketKind;
  user_id: string;
  /** The application the link returns to (its login route), when known. */
  client_id: string | null;
  /** Where the person goes once the ticket is used (Auth0's result_url). */
  result_url: string | null;
  /** Password change only: the e-mail counts as verified once the password is changed. */
  mark_email_verified: boolean;
  /** Adds ?email=… to result_url (Auth0's includeEmailInRedirect). */
  include_email: boolean;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface AuthorizationCode {
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
  auth_time: number;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
  issued_jti: string | null;
  issued_expires_at: number | null;
  /** The refresh token family the redemption starts, fixed before the code is spent (whether or not a token is issued). */
  issued_family_id: string | null;
  /** When a second redemption was attempted: what it issued is revoked. */
  replayed_at: number | null;
}

export interface RefreshToken {
  token_hash: string;
  family_id: string;
  /** The token this one replaced, in a rotating family. */
  parent_hash: string | null;
  client_id: string;
  user_id: string;
  scope: string;
  audience: string | null;
  sid: string | null;
  auth_time: number;
  family_created_at: number;
  created_at: number;
  last_used_at: number;
  rotated_at: number | null;
  revoked_at: number | null;
  /** An imported token's expiry at the server it came from (`gatehouse tokens import`); null or absent otherwise. */
  expires_at?: number | null;
}

export type Patch<T> = Partial<Omit<T, 'id' | 'client_id' | 'user_id' | 'kid'>>;

export interface TenantStore {
  get(): Promise<TenantSettings>;
  put(settings: TenantSettings): Promise<void>;
}

/**
 * One page of a list: by offset (Auth0's page/per_page), or from the id of its first item (Auth0's checkpoint
 * paging, `from`/`take`; undefined for the first page).
 */
export type PageRequest = { offset: number; limit: number } | { from: string | undefined; limit: number };

/** A page's items; `total` (every match) for offset paging, `next` (the next page's first id) for checkpoints. */
export interface Page<T> {
  items: T[];
  total?: number;
  next?: string;
}

export interface ClientFilter {
  /** Any of these; Auth0's other application types (e.g. `resource_server`) match no client here. */
  app_type?: readonly string[];
  is_first_party?: boolean;
}

export interface ClientStore {
  get(clientId: string): Promise<Client | undefined>;
  insert(client: Client): Promise<void>;
  update(clientId: string, patch: Patch<Client>): Promise<void>;
  count(): Promise<number>;
  /** One page of clients, oldest first: by offset with the number that match the filter, or from a checkpoint. */
  list(filter: ClientFilter, page: PageRequest): Promise<Page<Client>>;
  /** Deletes the client; its client grants go with it (foreign key). False when there was none. */
  delete(clientId: string): Promise<boolean>;
  /** Every client's web_origins and allowed_origins: the origins browsers may call the OAuth endpoints from. */
  browserOrigins(): Promise<string[]>;
}

export interface ResourceServerStore {
  getByIdentifier(identifier: string): Promise<ResourceServer | undefined>;
  /** By id or by identifier (Auth0 accepts either in the path). */
  get(idOrIdentifier: string): Promise<ResourceServer | undefined>;
  /** Oldest first; only those whose identifier is one of `identifiers` when given. */
  list(
    filter: { identifiers?: readonly string[] },
    page: { offset: number; limit: number },
  ): Promise<Page<ResourceServer>>;
  /** Deletes the API with its client grants and the role permissions naming it. False when there was none. */
  delete(id: string): Promise<boolean>;
  insert(resourceServer: ResourceServer): Promise<void>;
  update(id: string, patch: Patch<ResourceServer>): Promise<void>;
}

export interface ClientGrantStore {
  find(clientId: string, audience: string): Promise<ClientGrant | undefined>;
  get(id: string): Promise<ClientGrant | undefined>;
  /** Oldest first. */
  list(filter: { client_id?: string; audience?: string }, page: PageRequest): Promise<Page<ClientGrant>>;
  delete(id: string): Promise<boolean>;
  insert(grant: ClientGrant): Promise<void>;
  update(id: string, patch: Patch<ClientGrant>): Promise<void>;
}

export interface ConnectionStore {
  getByName(name: string): Promise<Connection | undefined>;
  get(id: string): Promise<Connection | undefined>;
  /** Oldest first. */
  page(filter: { strategy?: string[]; name?: string }, page: PageRequest): Promise<Page<Connection>>;
  /** Deletes the connection and its users (with what hangs off them). False when there was none. */
  delete(id: string): Promise<boolean>;
  /** Every connection, oldest first. */
  list(): Promise<Connection[]>;
  insert(connection: Connection): Promise<void>;
  update(id: string, patch: Patch<Connection>): Promise<void>;
}

/** What sign-ins record of a user (Auth0's logins_count, last_login, last_ip), never set by a profile write. */
export interface UserActivity {
  logins_count: number;
  last_login: number | null;
  last_ip: string | null;
}

export type StoredUser = User & UserActivity;

/** Fields a user search can name (Auth0 user search v3, "Searchable fields"). */
export const userSearchFields = [
  'user_id',
  'email',
  'email.domain',
  'name',
  'given_name',
  'family_name',
  'nickname',
  'username',
  'phone_number',
  'connection',
  'email_verified',
  'blocked',
  'logins_count',
] as const;
export type UserSearchField = (typeof userSearchFields)[number];

/**
 * A user search as a tree: `match` compares a field (exactly, or as a prefix), `metadata` a value at a path in
 * app_metadata or user_metadata. Values are data, never SQL: the store binds them as parameters.
 */
export type UserFilter =
  | { kind: 'and' | 'or'; items: UserFilter[] }
  | { kind: 'not'; item: UserFilter }
  | { kind: 'match'; field: UserSearchField; value: string | number | boolean; prefix: boolean }
  | { kind: 'metadata'; column: 'app_metadata' | 'user_metadata'; path: string[]; value: string; prefix: boolean }
  | { kind: 'range'; field: UserRangeField; from?: number; to?: number; fromInclusive: boolean; toInclusive: boolean };

/** Fields a search can bound with a range (dates as milliseconds, logins_count as a count). */
export const userRangeFields = ['created_at', 'updated_at', 'last_login', 'logins_count'] as const;
export type UserRangeField = (typeof userRangeFields)[number];

// Auth0 "Sort Search Results": any user field but the metadata; these are the ones Gatehouse stores.
export const userSortFields = [
  'created_at',
  'updated_at',
  'last_login',
  'logins_count',
  'email',
  'email_verified',
  'name',
  'given_name',
  'family_name',
  'nickname',
  'username',
  'phone_number',
  'phone_verified',
  'picture',
  'blocked',
  'last_ip',
  'connection',
  'user_id',
] as const;
export type UserSortField = (typeof userSortFields)[number];

export interface UserListOptions {
  filter?: UserFilter;
  sort: { field: UserSortField; descending: boolean };
  offset: number;
  limit: number;
  withTotal: boolean;
}

export interface UserStore {
  get(userId: string): Promise<StoredUser | undefined>;
  findByEmail(connection: string, email: string): Promise<User | undefined>;
  /** Users with this e-mail in any connection (stored lower-case, so compared lower-case). */
  listByEmail(email: string): Promise<StoredUser[]>;
  list(options: UserListOptions): Promise<{ users: StoredUser[]; total: number }>;
  insert(user: User): Promise<void>;
  /** Many users in one transaction (seeding, benchmarks): hashes precomputed, rows sent in batches. */
  insertMany(users: readonly (User & Partial<UserActivity>)[]): Promise<void>;
  update(userId: string, patch: Patch<User>): Promise<void>;
  /** Deletes the user; sessions, refresh tokens, consents and role memberships go with it (foreign keys). */
  delete(userId: string): Promise<boolean>;
  /** A successful sign-in: one statement, so parallel sign-ins each count. */
  recordLogin(userId: string, at: number, ip: string | null): Promise<void>;
  /** Users whose last sign-in is at or after `since`. */
  countActiveSince(since: number): Promise<number>;
  /** The users with any of these ids, or of these e-mail addresses in the connection (one query: an import's batch). */
  findForImport(connection: string, userIds: readonly string[], emails: readonly string[]): Promise<User[]>;
  /** One page of a connection's users (or every connection's) by user_id, after `after`: an export's read. */
  listAfter(connection: string | undefined, after: string | undefined, limit: number): Promise<StoredUser[]>;
}

/** Auth0's long-running jobs (Management API v2, "Jobs"). */
export type JobType = 'users_import' | 'users_export';
export type JobStatus = 'pending' | 'processing' | 'completed' | 'failed';

/** One row's failure in an import: the row as given, and why (Auth0's GET /api/v2/jobs/{id}/errors). */
export interface ImportRowError {
  user: Record<string, unknown>;
  errors: { code: string; message: string; path?: string }[];
}

export interface ImportSummary {
  failed: number;
  updated: number;
  inserted: number;
  total: number;
}

export interface Job {
  id: string;
  type: JobType;
  status: JobStatus;
  connection_id: string | null;
  /** The request's settings as Auth0 echoes them (external_id, upsert, format, fields, limit). */
  details: Record<string, unknown>;
  input: string | null;
  summary: ImportSummary | null;
  errors: ImportRowError[] | null;
  output: string | null;
  download_secret: string | null;
  created_at: number;
  updated_at: number;
}

export interface JobStore {
  insert(job: Job): Promise<void>;
  get(id: string): Promise<Job | undefined>;
  /** Moves a pending job to processing and returns it; nothing when another instance took it (atomic). */
  claim(id: string, at: number): Promise<Job | undefined>;
  finish(
    id: string,
    result: Pick<Job, 'status' | 'summary' | 'errors' | 'output' | 'download_secret'>,
    at: number,
  ): Promise<void>;
}

/** A page of a list: `offset` rows skipped, at most `limit` rows. */
export interface PageWindow {
  offset: number;
  limit: number;
}

/** What a role's member list shows of a user. */
export interface RoleMember {
  user_id: string;
  email: string | null;
  name: string | null;
  picture: string | null;
}

/** A user's membership of a role. */
export interface RoleAssignment {
  user_id: string;
  role_id: string;
}

export interface RoleStore {
  get(id: string): Promise<Role | undefined>;
  getByName(name: string): Promise<Role | undefined>;
  /** One page of roles by name; `name_filter` keeps names that contain it, ignoring case. */
  list(filter: { name_filter?: string }, page: PageWindow): Promise<{ roles: Role[]; total: number }>;
  insert(role: Role): Promise<void>;
  update(id: string, patch: Patch<Role>): Promise<void>;
  /** Deletes the role; its permissions and memberships go with it (foreign keys). False when there was none. */
  delete(id: string): Promise<boolean>;
  permissions(roleId: string): Promise<Permission[]>;
  /** One page of the role's permissions, by API and name. */
  listPermissions(roleId: string, page: PageWindow): Promise<{ permissions: Permission[]; total: number }>;
  setPermissions(roleId: string, permissions: Permission[]): Promise<void>;
  /** Adds permissions the role does not have yet (one statement; ones it has are left alone). */
  addPermissions(roleId: string, permissions: readonly Permission[]): Promise<void>;
  removePermissions(roleId: string, permissions: readonly Permission[]): Promise<void>;
  members(roleId: string): Promise<string[]>;
  /** One page of the role's members by user_id; `after` starts past that user_id (checkpoint paging). */
  listMembers(roleId: string, page: PageWindow & { after?: string }): Promise<{ users: RoleMember[]; total: number }>;
  setMembers(roleId: string, userIds: string[]): Promise<void>;
  /** Adds memberships that do not exist yet (one statement). */
  assign(assignments: readonly RoleAssignment[]): Promise<void>;
  unassign(assignments: readonly RoleAssignment[]): Promise<void>;
  /** One page of the roles the user is a member of, by name. */
  rolesOfUser(userId: string, page: PageWindow): Promise<{ roles: Role[]; total: number }>;
  /**
   * One page of the permissions the user holds, directly or through roles, each once, by API and name, each
   * with where it comes from.
   */
  userPermissions(
    userId: string,
    page: PageWindow,
  ): Promise<{ permissions: (Permission & { sources: PermissionSource[] })[]; total: number }>;
  addDirectPermissions(userId: string, permissions: readonly Permission[]): Promise<void>;
  removeDirectPermissions(userId: string, permissions: readonly Permission[]): Promise<void>;
  /** Every permission the user holds for one API, directly or through roles, each once. */
  permissionsOfUser(userId: string, resourceServerIdentifier: string): Promise<string[]>;
}

export interface SigningKeyStore {
  /** Every key not revoked, oldest first. */
  listPublished(): Promise<SigningKey[]>;
  list(): Promise<SigningKey[]>;
  insert(key: SigningKey): Promise<void>;
  setStatus(kid: string, status: SigningKeyStatus, at: number): Promise<void>;
  /** Stores a key's certificate unless it has one; false when it had (a certificate never changes). */
  setCertificate(kid: string, certificate: string): Promise<boolean>;
}

export interface ClientAssertionStore {
  /** Records a client assertion's jti until it expires; false when it was already used (a replay). */
  remember(clientId: string, jti: string, expiresAt: number): Promise<boolean>;
}

export interface SessionStore {
  create(idHash: string, session: Session): Promise<void>;
  get(idHash: string): Promise<Session | undefined>;
  touch(idHash: string, at: number): Promise<void>;
  delete(idHash: string): Promise<void>;
  deleteBySid(sid: string): Promise<void>;
  /** Ends every session of the user (a password reset). */
  deleteOfUser(userId: string): Promise<void>;
}

/**
 * Who started a login transaction, for the caps on pending ones: the network (an IPv4 address or an IPv6 /64)
 * and, when the browser keeps cookies, a hash of its browser cookie.
 */
export interface TransactionOwners {
  ip: string;
  browser?: string;
}

export interface PendingLoginLimits {
  perIp: number;
  perBrowser: number;
}

/** Refused: `retryAt` is when the limiting owner's oldest pending transaction expires. */
export type CreateTransactionResult = { created: true } | { created: false; retryAt: number };

export interface LoginTransactionStore {
  /**
   * Stores the transaction unless its owners already have their limit of pending (unexpired) ones: checked
   * and inserted while holding the owners' lock rows, so parallel requests cannot overdraw a cap. Then
   * deletes a bounded batch of expired transactions.
   */
  create(
    transaction: LoginTransaction,
    owners: TransactionOwners,
    limits: PendingLoginLimits,
  ): Promise<CreateTransactionResult>;
  get(id: string): Promise<LoginTransaction | undefined>;
  /** Removes and returns the transaction: one atomic statement, so it can be resumed once. */
  consume(id: string): Promise<LoginTransaction | undefined>;
  /** Replaces the transaction's state (the consent step records its answer). */
  update(id: string, request: unknown): Promise<void>;
}

export interface LoginTicketStore {
  insert(ticket: LoginTicket): Promise<void>;
  /**
   * Deletes and returns the unexpired ticket when everything but its time matches (hash, client, connection,
   * verifier): one atomic statement, so a ticket is redeemed once; nothing otherwise.
   */
  consume(
    match: Omit<LoginTicket, 'user_id' | 'created_at' | 'expires_at'>,
    at: number,
  ): Promise<LoginTicket | undefined>;
}

export interface UserTicketStore {
  /** Stores the ticket, then deletes a bounded batch of expired ones. */
  insert(ticket: UserTicket): Promise<void>;
  /** The ticket, used or not, expired or not (to tell the person why a link no longer works). */
  get(ticketHash: string): Promise<UserTicket | undefined>;
  /** Marks the ticket used and returns it, in one statement; nothing when it was used before or has expired. */
  consume(ticketHash: string, kind: UserTicketKind, at: number): Promise<UserTicket | undefined>;
}

export interface AuthorizationCodeStore {
  insert(code: AuthorizationCode): Promise<void>;
  /**
   * Marks the code consumed, recording the ids of the access token and refresh token family about to be
   * issued (so a replay can revoke them), and returns it; nothing when it is unknown or was consumed before.
   */
  consume(
    codeHash: string,
    at: number,
    issued: { jti: string; expiresAt: number; familyId: string },
  ): Promise<AuthorizationCode | undefined>;
  /** Marks a consumed code replayed and returns it (with what its redemption issued); nothing when it is unknown. */
  markReplayed(codeHash: string, at: number): Promise<AuthorizationCode | undefined>;
  /** Whether a second redemption of the code was attempted. */
  wasReplayed(codeHash: string): Promise<boolean>;
  /**
   * Inside a transaction, locks the row of the code a refresh token family was issued from (a no-op write,
   * as RefreshTokenStore.lock) and says whether that code was replayed; false for a family from no code.
   */
  lockFamilyCode(familyId: string): Promise<{ replayed: boolean }>;
  get(codeHash: string): Promise<AuthorizationCode | undefined>;
}

export interface RevokedTokenStore {
  revoke(jti: string, expiresAt: number): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
}

/** Whose failed logins are counted: the identifier typed (whether or not an account has it) from one IP. */
export interface LoginFailureKey {
  connection: string;
  /** The e-mail as accounts are looked up by it (lower-case). */
  identifier: string;
  ip: string;
}

/** `max` failed logins per key block it until `forgetMs` after the last one counted. */
export interface LockPolicy {
  max: number;
  forgetMs: number;
}

export interface LoginFailureStore {
  /**
   * Counts one attempt as a failure before the password is checked, in one statement, unless the key already has
   * `max` counted within `forgetMs` (concurrent attempts cannot overdraw it); false if blocked. Older counts start over.
   */
  take(key: LoginFailureKey, at: number, policy: LockPolicy): Promise<boolean>;
  /** Forgets the key's count: its login succeeded. */
  reset(key: LoginFailureKey): Promise<void>;
  /** The keys of these identifiers (every IP; one connection or all) that `take` would refuse at `at`. */
  blocked(who: LoginIdentifier, at: number, policy: LockPolicy): Promise<LoginFailureKey[]>;
  /** Forgets every count of these identifiers, from every IP: their blocks are lifted at once. */
  clear(who: LoginIdentifier): Promise<void>;
}

/** Identifiers as login failures are keyed (lower-case), in one connection or, without it, in all. */
export interface LoginIdentifier {
  identifiers: readonly string[];
  connection?: string;
}

/** An allowance of `max` attempts per IP and kind that leaks back one attempt every `leakMs` (a leaky bucket). */
export interface ThrottlePolicy {
  max: number;
  leakMs: number;
}

export interface IpThrottleStore {
  /** Takes one attempt if the IP has one left, in one statement (concurrent attempts cannot overdraw); false if none. */
  take(kind: string, ip: string, at: number, policy: ThrottlePolicy): Promise<boolean>;
  /** Gives back an attempt taken by a request that turned out not to count (a successful login). */
  giveBack(kind: string, ip: string): Promise<void>;
}

/** A passwordless one-time code, as stored: its HMAC only (Auth0 docs: "Passwordless Connections"). */
export interface PasswordlessCode {
  connection: string;
  /** The lower-cased e-mail or the E.164 phone number the code was sent to. */
  identifier: string;
  code_hash: string;
  client_id: string;
  /** The /authorize parameters a magic link completes; null for a code typed back. */
  auth_params: Record<string, string> | null;
  /** A hash of the starting browser's cookie when the code may complete only in that browser; null for any. */
  binding: string | null;
  created_at: number;
  expires_at: number;
}

/** What checking a code against the live one found: redeemed, wrong (with attempts left or not), or none. */
export type PasswordlessRedemption =
  | { outcome: 'redeemed'; code: PasswordlessCode }
  | { outcome: 'wrong'; attemptsLeft: number }
  | { outcome: 'none' };

export interface PasswordlessCodeStore {
  /** Stores a new code for the address, replacing (superseding) any earlier one, in one statement. */
  replace(code: PasswordlessCode): Promise<void>;
  /**
   * Spends the address's code when the hash, client and binding match and it is unused, unexpired and has
   * tries left; else counts a wrong try against the live code. Each step is one atomic statement.
   */
  redeem(
    match: { connection: string; identifier: string; code_hash: string; client_id: string; binding: string | null },
    at: number,
    maxAttempts: number,
  ): Promise<PasswordlessRedemption>;
}

/** A device authorization (RFC 8628 §3.2), as stored: the device code's hash only. */
export interface DeviceCode {
  device_code_hash: string;
  /** Normalised: eight letters, upper case, no dash. */
  user_code: string;
  client_id: string;
  scope: string;
  audience: string | null;
  created_at: number;
  expires_at: number;
  /** Seconds the device must wait between polls (RFC 8628 §3.5: grows by 5 with each slow_down). */
  poll_interval: number;
  last_polled_at: number | null;
  status: 'pending' | 'approved' | 'denied';
  /** Set on approval: whose tokens to issue, with the session that signed in. */
  user_id: string | null;
  sid: string | null;
  auth_time: number | null;
  redeemed_at: number | null;
}

/** What a person's confirmation records: the user and session the device's tokens are issued for. */
export interface DeviceApproval {
  user_id: string;
  sid: string;
  auth_time: number;
}

export interface DeviceCodeStore {
  /** Stores a new authorization; false (nothing stored) when its user code is already taken. */
  insert(code: DeviceCode): Promise<boolean>;
  /** The pending, unexpired authorization a user code names. */
  findPending(userCode: string, at: number): Promise<DeviceCode | undefined>;
  /**
   * Records a poll of the client's device code in one statement when it comes no sooner than the interval
   * after the previous one (the first is never too soon); else, in one statement, records it and adds 5 s to
   * the interval. Nothing when the client has no such device code.
   */
  poll(
    deviceCodeHash: string,
    clientId: string,
    at: number,
  ): Promise<{ code: DeviceCode; tooFast: boolean } | undefined>;
  /** Approves a pending, unexpired authorization in one statement; nothing when it is not (any longer). */
  approve(userCode: string, at: number, approval: DeviceApproval): Promise<DeviceCode | undefined>;
  /** Denies a pending, unexpired authorization in one statement. */
  deny(userCode: string, at: number): Promise<DeviceCode | undefined>;
  /** Spends an approved, unexpired, unredeemed authorization in one statement: at most one caller gets it. */
  redeem(deviceCodeHash: string, clientId: string, at: number): Promise<DeviceCode | undefined>;
}

export interface BrandingStore {
  getTemplate(): Promise<string | undefined>;
  putTemplate(body: string): Promise<void>;
  deleteTemplate(): Promise<void>;
}

export interface RefreshTokenStore {
  /**
   * Inside a transaction, locks the token's row until commit (a no-op write): on PostgreSQL a row lock,
   * on SQLite the write lock, taken first so that the transaction never has to upgrade a read.
   */
  lock(tokenHash: string): Promise<void>;
  insert(token: RefreshToken): Promise<void>;
  get(tokenHash: string): Promise<RefreshToken | undefined>;
  /** Marks an active token rotated and returns it; nothing when it was rotated or revoked before (atomic). */
  rotate(tokenHash: string, at: number): Promise<RefreshToken | undefined>;
  touch(tokenHash: string, at: number): Promise<void>;
  /** Revokes every token of the family, the newest included. */
  revokeFamily(familyId: string, at: number): Promise<void>;
  revoke(tokenHash: string, at: number): Promise<void>;
  /** Revokes every active token of the user (a password reset). */
  revokeOfUser(userId: string, at: number): Promise<void>;
  /** The family's newest token that is neither rotated nor revoked. */
  activeOfFamily(familyId: string): Promise<RefreshToken | undefined>;
}

/** A user's consent to a client for an audience: what Auth0 calls a user grant. */
export interface Consent {
  id: string;
  user_id: string;
  client_id: string;
  /** The API identifier, or '' for OpenID Connect scopes alone. */
  audience: string;
  scope: string[];
}

export interface ConsentFilter {
  user_id?: string;
  client_id?: string;
  audience?: string;
}

export interface ConsentStore {
  /** The scopes the user accepted for this client and audience ('' for none). */
  scopes(userId: string, clientId: string, audience: string): Promise<string[]>;
  /** Adds scopes to what the user accepted (a new scope is asked for again; accepted ones stay). */
  grant(userId: string, clientId: string, audience: string, scopes: readonly string[]): Promise<void>;
  /** One page of consents, ordered by user, client and audience. */
  list(filter: ConsentFilter, page: PageWindow): Promise<{ consents: Consent[]; total: number }>;
  /** Deletes the consent: its scopes are asked for again. False when there was none. */
  delete(id: string): Promise<boolean>;
  /** Deletes every consent of the user. */
  deleteOfUser(userId: string): Promise<void>;
}

/** One audit event in Auth0's log fields (Auth0 Management API v2, "Logs"); `date` in epoch milliseconds. */
export interface LogEvent {
  log_id: string;
  date: number;
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
  details: Record<string, unknown> | null;
}

/** A search of the log: every condition given must hold (AND); dates are epoch milliseconds, `to` exclusive. */
export interface LogFilter {
  types?: readonly string[];
  user_id?: string;
  client_id?: string;
  connection?: string;
  ip?: string;
  from?: number;
  to?: number;
  /** Older rows are past retention: never answered, whether or not the sweep has deleted them yet. */
  since: number;
}

export interface LogStore {
  /** Many events in one statement (the audit writer's batches). */
  insert(events: readonly LogEvent[]): Promise<void>;
  get(logId: string): Promise<LogEvent | undefined>;
  list(
    filter: LogFilter,
    order: 'asc' | 'desc',
    page: { offset: number; limit: number },
  ): Promise<{ logs: LogEvent[]; total: number }>;
  /** Up to `take` events whose log_id sorts after `logId` (a checkpoint), oldest first. */
  after(logId: string, take: number, since: number): Promise<LogEvent[]>;
  /** Deletes at most `max` events older than `before`; how many it deleted. */
  deleteOlderThan(before: number, max: number): Promise<number>;
}

export interface Stores {
  logs: LogStore;
  tenant: TenantStore;
  clients: ClientStore;
  resourceServers: ResourceServerStore;
  clientGrants: ClientGrantStore;
  connections: ConnectionStore;
  users: UserStore;
  roles: RoleStore;
  signingKeys: SigningKeyStore;
  clientAssertions: ClientAssertionStore;
  sessions: SessionStore;
  loginTransactions: LoginTransactionStore;
  loginTickets: LoginTicketStore;
  userTickets: UserTicketStore;
  codes: AuthorizationCodeStore;
  revokedTokens: RevokedTokenStore;
  loginFailures: LoginFailureStore;
  ipThrottles: IpThrottleStore;
  passwordlessCodes: PasswordlessCodeStore;
  deviceCodes: DeviceCodeStore;
  branding: BrandingStore;
  refreshTokens: RefreshTokenStore;
  jobs: JobStore;
  consents: ConsentStore;
  outbox: OutboxStore;
  emailTemplates: EmailTemplateStore;
  testOutbox: TestOutboxStore;
}

/** A message test mode captured instead of sending it (delivery/capture.ts), as GET /test/outbox shows it. */
export interface CapturedMessage {
  id: string;
  channel: 'email' | 'sms';
  kind: string | null;
  to: string;
  from: string | null;
  subject: string | null;
  text: string;
  html: string | null;
  /** The verification, reset or passwordless link the message carries, if any. */
  link: string | null;
  /** The one-time code the message carries, if any. */
  code: string | null;
  created_at: number;
}

export interface TestOutboxStore {
  add(message: CapturedMessage): Promise<void>;
  /** Every captured message, oldest first. */
  list(): Promise<CapturedMessage[]>;
  clear(): Promise<void>;
}

/** Every row of the tenant's tables, as read back from the database: what test mode's reset restores. */
export type TenantSnapshot = { table: string; rows: Record<string, unknown>[] }[];

/** A message waiting in the outbox (delivery/outbox.ts), rendered when it was queued. */
export interface OutboxMessage {
  id: string;
  channel: 'email' | 'sms';
  /** The e-mail's kind (verify_email, passwordless, …), for the log lines; null for a text message. */
  kind: string | null;
  recipient: string;
  /** E-mail only: the From, subject and HTML part. */
  sender: string | null;
  subject: string | null;
  text_body: string;
  html_body: string | null;
  attempts: number;
  next_attempt_at: number;
  /** Until then, the worker that claimed the row is sending it and nobody else may. */
  claimed_until: number;
  last_error: string | null;
  created_at: number;
}

export interface OutboxStore {
  add(message: OutboxMessage): Promise<void>;
  /** The rows waiting (queued, claimed or waiting for a retry), per channel. */
  countByChannel(): Promise<Record<OutboxMessage['channel'], number>>;
  /**
   * Claims up to `limit` rows due at `now` and not claimed, until `claimedUntil`, in one statement: each row is
   * returned to one caller only, however many workers and instances sweep at once.
   */
  claimDue(
    now: number,
    claimedUntil: number,
    limit: number,
    channels: OutboxMessage['channel'][],
  ): Promise<OutboxMessage[]>;
  /** Deletes a sent row, if this claim still holds it. */
  delete(id: string, claimedUntil: number): Promise<void>;
  /** Records a failed attempt and gives the row back (unclaimed) for `nextAttemptAt`, if this claim still holds it. */
  retry(
    id: string,
    claimedUntil: number,
    change: { attempts: number; nextAttemptAt: number; error: string },
  ): Promise<void>;
}

/** An e-mail template as Auth0's Management API shows it (/api/v2/email-templates). */
export interface EmailTemplate {
  template: string;
  body: string;
  from: string | null;
  subject: string;
  resultUrl: string | null;
  urlLifetimeInSeconds: number | null;
  includeEmailInRedirect: boolean;
  enabled: boolean;
}

export interface EmailTemplateStore {
  /** The stored template, or undefined while the default is in use. */
  get(name: string): Promise<EmailTemplate | undefined>;
  /** Stores a template; with `onlyNew`, returns false (and stores nothing) when one is stored already. */
  put(template: EmailTemplate, onlyNew?: boolean): Promise<boolean>;
  /** Every stored template, by name. */
  list(): Promise<EmailTemplate[]>;
  /** Forgets a stored template (its default is used again); false when none was stored. */
  delete(name: string): Promise<boolean>;
}

export type LockName = 'tenant' | 'signing_keys';

export interface ChangeListenerOptions {
  /** A locked transaction committed somewhere (or notifications may have been missed): drop what is cached. */
  onChange: () => void;
  /** The listening connection failed or was lost; it is retried. */
  onLost?: (error: unknown) => void;
}

export interface ChangeListener {
  /** Resolves once the first connection listens (never, while the database cannot be reached). */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface Store extends Stores {
  dialect: 'sqlite' | 'postgres';
  /** Runs fn in one transaction, after taking the named lock (serialised across processes and instances). */
  transaction<T>(lock: LockName | null, fn: (tx: Stores) => Promise<T>): Promise<T>;
  /** Changes whenever a locked transaction ran: what caches compare to know they are stale. */
  changeVersion(): Promise<string>;
  /**
   * Calls onChange soon after any locked transaction commits, in any process (PostgreSQL LISTEN/NOTIFY). On SQLite
   * it does nothing: every process is on one machine, and caches compare changeVersion().
   */
  listenForChanges(options: ChangeListenerOptions): ChangeListener;
  ping(): Promise<void>;
  /** A real write of 256 KiB that nothing reads: fails while the database cannot be written (full, read-only). */
  probeWrite(): Promise<void>;
  /** Reads every table that holds the tenant (all but the locks, the write probe and the migrations). */
  snapshot(): Promise<TenantSnapshot>;
  /** Replaces every table's rows with the snapshot's, in one transaction under the tenant lock. */
  restore(snapshot: TenantSnapshot): Promise<void>;
  close(): Promise<void>;
}
