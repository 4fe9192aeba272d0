// Per-process memo of what client authentication derives from stored credentials: the SHA-256 digest of
// each sealed client secret (so the token path neither decrypts nor keeps plain secrets in memory) and
// parsed public keys. Both are pure functions of their key (a sealed value, a PEM), so they can never be
// stale: a changed secret or key is a different key here. Bounded, so churn cannot grow them forever.
import { createPublicKey, hash, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../crypto/secret-box.js';

const LIMIT = 10_000;

function remember<V>(map: Map<string, V>, key: string, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    if (map.size >= LIMIT) map.clear();
    value = make();
    map.set(key, value);
  }
  return value;
}

const digest = (value: string) => hash('sha256', value, 'buffer');

export class CredentialCache {
  private readonly secretDigests = new Map<string, Buffer>();
  private readonly publicKeys = new Map<string, KeyObject>();

  constructor(private readonly box: SecretBox) {}

  /** Constant-time: both sides are compared as SHA-256 digests, so their lengths leak nothing. */
  secretMatches(sealedSecret: string, presented: string): boolean {
    const expected = remember(this.secretDigests, sealedSecret, () => digest(this.box.open(sealedSecret)));
    return timingSafeEqual(expected, digest(presented));
  }

  publicKey(pem: string): KeyObject {
    return remember(this.publicKeys, pem, () => createPublicKey(pem));
  }
}
