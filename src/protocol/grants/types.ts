import type { AuditLog } from '../../audit/events.js';
import type { Client, Store } from '../../store/types.js';
import type { Keyring } from '../keys/keyring.js';
import type { PasswordCheck } from '../password-check.js';
import type { TokenResponse } from '../tokens/token-response.js';

export type { TokenResponse };

/** The request a grant handles: its parameters, the authenticated client and the end user's IP address. */
export interface GrantRequest {
  params: Readonly<Record<string, string | undefined>>;
  client: Client;
  /** What attack protection counts: the caller's address, or the one a trusted backend forwarded (forwarded-for.ts). */
  ip: string;
  /** Set by the grant once it knows whose tokens these are: the token endpoint records it with the exchange. */
  subject?: { user_id?: string; user_name?: string; connection?: string; strategy?: string };
}

/**
 * What a grant handler may use: the parts of the store it names (`Part`), the keyring, the password check, the issuer
 * and the clock.
 * The token endpoint builds one object for the server's life and hands it to every grant (no copy per request).
 */
export interface GrantDeps<Part extends keyof Store = keyof Store> {
  stores: Pick<Store, Part>;
  keyring: Keyring;
  /** Checks users' passwords (argon2id, bcrypt upgraded) for the password grants; holds the decoy hash. */
  passwords: PasswordCheck;
  issuer: string;
  /** The HMAC key passwordless codes are stored under (passwordless-otp.ts). */
  passwordlessKey: Buffer;
  /** Where the password grants record a blocked account or IP (the exchange itself is recorded by token.ts). */
  audit: AuditLog;
  now: () => number;
}

/** A grant_type's handler; `Part` names the store parts it reads and writes. */
export interface Grant<Part extends keyof Store = keyof Store> {
  /** The grant_type value, Auth0's URN for Auth0's own grants. */
  grantType: string;
  /** Parameters this grant reads, besides grant_type and client authentication. */
  parameters: readonly string[];
  handle(request: GrantRequest, deps: GrantDeps<Part>): Promise<TokenResponse>;
}
