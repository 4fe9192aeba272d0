import type { Client, Store } from '../../store/types.js';
import type { Keyring } from '../keys/keyring.js';
import type { TokenResponse } from '../tokens/token-response.js';

export type { TokenResponse };

/** The request a grant handles: its parameters and the authenticated client. */
export interface GrantRequest {
  params: Readonly<Record<string, string | undefined>>;
  client: Client;
}

/**
 * What a grant handler may use: the parts of the store it names (`Part`), the keyring, the issuer and the clock.
 * The token endpoint builds one object for the server's life and hands it to every grant (no copy per request).
 */
export interface GrantDeps<Part extends keyof Store = keyof Store> {
  stores: Pick<Store, Part>;
  keyring: Keyring;
  issuer: string;
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
