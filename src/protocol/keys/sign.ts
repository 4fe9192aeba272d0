// The token path's JWS signer (docs/benchmarks.md "The token endpoint"): node:crypto's asynchronous sign, so
// signatures run on the libuv thread pool and use every core, with the protected headers and sign options made once per key.
// jose verifies its output in the tests; everything else that touches JOSE uses jose.
import { constants, type KeyObject, sign, type SignKeyObjectInput, type SignPrivateKeyInput } from 'node:crypto';
import type { SigningAlg } from '../../store/types.js';

/** JWT typ values we issue: Auth0's profile and RFC 9068's. */
const jwtTypes = ['JWT', 'at+jwt'] as const;

/** What signing with one key needs, made once when the key is loaded (see keys.ts). */
export interface JwsSigner {
  /** base64url of the protected header for each typ. */
  headers: Readonly<Record<string, string>>;
  /** node:crypto's digest argument: null for EdDSA. */
  digest: string | null;
  options: KeyObject | SignKeyObjectInput | SignPrivateKeyInput;
}

export function encodeHeader(alg: string, kid: string, typ: string): string {
  return Buffer.from(JSON.stringify({ alg, typ, kid })).toString('base64url');
}

/** RFC 7518 §3: the digest and key options for each JWS algorithm we sign with. */
export function jwsSigner(alg: SigningAlg, kid: string, key: KeyObject): JwsSigner {
  const headers = Object.fromEntries(jwtTypes.map((typ) => [typ, encodeHeader(alg, kid, typ)]));
  switch (alg) {
    case 'RS256':
      return { headers, digest: 'sha256', options: key };
    case 'PS256':
      // §3.5: PSS with MGF1-SHA256 and a salt as long as the hash (32 bytes).
      return { headers, digest: 'sha256', options: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } };
    case 'ES256':
      // §3.4: the signature is r‖s, not DER.
      return { headers, digest: 'sha256', options: { key, dsaEncoding: 'ieee-p1363' } };
    case 'EdDSA':
      return { headers, digest: null, options: key };
  }
}

export function signJwt(
  key: { alg: string; kid: string; signer: JwsSigner },
  typ: string,
  payload: object,
): Promise<string> {
  const { headers, digest, options } = key.signer;
  const input = `${headers[typ] ?? encodeHeader(key.alg, key.kid, typ)}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return new Promise((resolve, reject) => {
    sign(digest, Buffer.from(input), options, (error, signature) => {
      if (error) reject(error);
      else resolve(`${input}.${signature.toString('base64url')}`);
    });
  });
}
