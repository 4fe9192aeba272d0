// id_token_hint, at /authorize (OIDC Core §3.1.2.1) and at logout (RP-Initiated Logout 1.0 §2): an ID token
// this server issued, passed back as a hint about who the client thinks is signed in. Its signature must be
// by one of our published keys and its issuer ours; its expiry is ignored, as both specifications allow.
import { compactVerify, createLocalJWKSet } from 'jose';
import type { Keyring } from './keys/keyring.js';

export interface IdTokenHint {
  /** Every audience of the token (ours carry one: the client id). */
  aud: string[];
  sub?: string;
  sid?: string;
}

/** The claims of an ID token we signed, expired or not; undefined when it is malformed or its signature or issuer is not ours. */
export async function readIdTokenHint(
  hint: string,
  keyring: Pick<Keyring, 'publicKeys'>,
  issuer: string,
): Promise<IdTokenHint | undefined> {
  try {
    // Our ID tokens are always RS256; jose refuses alg none and any key that is not in the set.
    const { payload } = await compactVerify(hint, createLocalJWKSet(await keyring.publicKeys()), {
      algorithms: ['RS256'],
    });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as {
      iss?: unknown;
      aud?: unknown;
      sid?: unknown;
      sub?: unknown;
    };
    if (claims.iss !== issuer) return undefined;
    const aud = (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).filter(
      (a): a is string => typeof a === 'string',
    );
    return {
      aud,
      sub: typeof claims.sub === 'string' ? claims.sub : undefined,
      sid: typeof claims.sid === 'string' ? claims.sid : undefined,
    };
  } catch {
    return undefined;
  }
}
