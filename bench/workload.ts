// The work both servers are asked to do: one machine-to-machine client (client_secret_basic) gets a JWT
// access token for an API signed with RS256, or for one signed with ES256.
import { randomBytes } from 'node:crypto';

export const algs = ['RS256', 'ES256'] as const;
export type Alg = (typeof algs)[number];

export const SCOPE = 'read:items';

export interface Workload {
  clientId: string;
  clientSecret: string;
  /** The API identifier (Gatehouse `audience`, oidc-provider `resource`) for each algorithm. */
  audiences: Record<Alg, string>;
  /** `Basic …` for the client (RFC 6749 §2.3.1: form-encoded, then base64). */
  authorization: string;
}

export function createWorkload(): Workload {
  const clientId = 'bench-m2m';
  const clientSecret = randomBytes(32).toString('base64url');
  const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
  return {
    clientId,
    clientSecret,
    audiences: { RS256: 'https://rs256.bench.test/', ES256: 'https://es256.bench.test/' },
    authorization: `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`,
  };
}

/** What a load run needs to know about a server. */
export interface TokenTarget {
  name: 'gatehouse' | 'oidc-provider';
  tokenUrl: string;
  /** The form body for each algorithm. */
  body: Record<Alg, string>;
}
