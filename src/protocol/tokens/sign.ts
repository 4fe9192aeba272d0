// The token path's JWS signer (issue 3): node:crypto's asynchronous sign, so signatures run on the libuv
// thread pool and use every core, with the protected headers encoded once per key. jose verifies its
// output in the tests; everything else that touches JOSE uses jose.
import { constants, sign } from 'node:crypto';
import type { ActiveKey } from '../keys.js';

/** base64url of the protected header for this key and typ; computed once per key (see keys.ts). */
export function encodeHeader(alg: string, kid: string, typ: string): string {
  return Buffer.from(JSON.stringify({ alg, typ, kid })).toString('base64url');
}

/** RFC 7518 §3: the digest and key options for each JWS algorithm we sign with. */
function signArguments(key: ActiveKey) {
  switch (key.alg) {
    case 'RS256':
      return { digest: 'sha256', options: key.key };
    case 'PS256':
      // §3.5: PSS with MGF1-SHA256 and a salt as long as the hash (32 bytes).
      return { digest: 'sha256', options: { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } };
    case 'ES256':
      // §3.4: the signature is r‖s, not DER.
      return { digest: 'sha256', options: { key: key.key, dsaEncoding: 'ieee-p1363' as const } };
    case 'EdDSA':
      return { digest: null, options: key.key };
  }
}

export function signJwt(key: ActiveKey, typ: string, payload: object): Promise<string> {
  const input = `${key.headers[typ] ?? encodeHeader(key.alg, key.kid, typ)}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const { digest, options } = signArguments(key);
  return new Promise((resolve, reject) => {
    sign(digest, Buffer.from(input), options, (error, signature) => {
      if (error) reject(error);
      else resolve(`${input}.${signature.toString('base64url')}`);
    });
  });
}
