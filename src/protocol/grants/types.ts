import type { SecretBox } from '../../crypto/secret-box.js';
import type { Client, Store } from '../../store/types.js';
import type { Keyring } from '../keys/keyring.js';
import type { TokenResponse } from '../tokens/token-response.js';

export type { TokenResponse };

/** The request a grant handles: its parameters and the authenticated client. */
export interface GrantRequest {
  params: Readonly<Record<string, string | undefined>>;
  client: Client;
}

/** What every grant handler may use; one object for the server's life (no copy per request). */
export interface GrantDeps {
  stores: Store;
  keyring: Keyring;
  box: SecretBox;
  issuer: string;
  now: () => number;
}

export interface Grant {
  /** The grant_type value, Auth0's URN for Auth0's own grants. */
  grantType: string;
  /** Parameters this grant reads, besides grant_type and client authentication. */
  parameters: readonly string[];
  handle(request: GrantRequest, deps: GrantDeps): Promise<TokenResponse>;
}
