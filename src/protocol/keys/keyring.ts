// The keys this process signs with and publishes, read from the database (keys/rotation.ts writes them):
// for each algorithm the current key, decrypted once per kid with its JWS signer ready, and the JWKS.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { certificateThumbprint } from '../../crypto/certificate.js';
import { DecryptionError, type SecretBox } from '../../crypto/secret-box.js';
import { type JwsSigner, jwsSigner } from './sign.js';
import { type SigningAlg, type SigningKey, type Store, signingAlgs } from '../../store/types.js';
import { storageUnavailable } from '../../store/unavailable.js';

export { signingAlgs };

export class KeyDecryptionError extends Error {}

export interface ActiveKey {
  kid: string;
  alg: SigningAlg;
  key: KeyObject;
  /** Encoded headers and sign options, made once when the key is loaded. */
  signer: JwsSigner;
}

/** What token signing needs of a keyring: the current key for an algorithm. */
export interface SigningKeys {
  signingKey(alg: SigningAlg): Promise<ActiveKey>;
}

export interface PublishedJwk extends JWK {
  kid: string;
  use: 'sig';
  alg: string;
}

/** RFC 7517 §4.7, §4.8: a key with a certificate publishes it (x5c) and its SHA-1 thumbprint (x5t), as Auth0's do. */
function publishedJwk(key: SigningKey): PublishedJwk {
  const jwk = key.public_jwk as PublishedJwk;
  return key.certificate === null
    ? jwk
    : { ...jwk, x5t: certificateThumbprint(key.certificate), x5c: [key.certificate] };
}

/**
 * The keys this process signs with and publishes. It re-reads the (small) key table at most once per
 * `refreshMs`, so a rotation by another process or instance is seen within that time; private keys are
 * decrypted once per kid. invalidate() (after this instance rotated or revoked a key) makes the next use
 * read the table again, and a read that started before it is never kept, so it cannot bring back old keys.
 */
export class Keyring {
  private published: SigningKey[] = [];
  private jwks: { keys: PublishedJwk[] } = { keys: [] };
  private readonly active = new Map<SigningAlg, ActiveKey>();
  private readonly decrypted = new Map<string, ActiveKey>();
  private loadedAt = -Infinity;
  /** When a read of the keys last failed for an unreachable database. */
  private failedAt = -Infinity;
  private loading: Promise<void> | undefined;
  /** Bumped by invalidate(): a load that started under an older generation keeps nothing. */
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly now: () => number,
    private readonly refreshMs = 1000,
  ) {}

  /** Loads the keys now; throws KeyDecryptionError when the master secret cannot open them. */
  async load(): Promise<void> {
    const started = this.generation;
    const published = await this.store.signingKeys.listPublished();
    const active = new Map<SigningAlg, ActiveKey>();
    for (const key of published) {
      if (key.status !== 'current') continue;
      let activeKey = this.decrypted.get(key.kid);
      if (!activeKey) {
        let jwk: JWK;
        try {
          jwk = JSON.parse(this.box.open(key.sealed_private_jwk));
        } catch (error) {
          if (error instanceof DecryptionError) {
            throw new KeyDecryptionError(
              'GATEHOUSE_SECRET cannot decrypt the signing keys stored in this database. Start with the secret the ' +
                'database was created with; Gatehouse never replaces existing keys.',
              { cause: error },
            );
          }
          throw error;
        }
        const object = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
        activeKey = { kid: key.kid, alg: key.alg, key: object, signer: jwsSigner(key.alg, key.kid, object) };
        this.decrypted.set(key.kid, activeKey);
      }
      active.set(key.alg, activeKey);
    }
    if (started !== this.generation) return;
    this.published = published;
    this.active.clear();
    for (const [alg, key] of active) this.active.set(alg, key);
    this.jwks = { keys: published.map(publishedJwk) };
    this.loadedAt = this.now();
  }

  /** The keys were read less than refreshMs ago. */
  private get loadedLately(): boolean {
    return this.now() - this.loadedAt < this.refreshMs;
  }

  private async fresh(): Promise<void> {
    while (!this.loadedLately) {
      // invalidate() drops the pending load, so a load found here started in this generation.
      const generation = this.generation;
      if (!this.loading) {
        const loading = this.load().finally(() => {
          if (this.loading === loading) this.loading = undefined;
        });
        this.loading = loading;
      }
      await this.loading;
      // Overtaken by invalidate(): that load kept nothing; read again.
      if (generation === this.generation) return;
    }
  }

  signingKey(alg: SigningAlg): Promise<ActiveKey> {
    // Read less than refreshMs ago: the common case answers without an async function's ticks.
    const key = this.loadedLately ? this.active.get(alg) : undefined;
    return key ? Promise.resolve(key) : this.loadSigningKey(alg);
  }

  private async loadSigningKey(alg: SigningAlg): Promise<ActiveKey> {
    await this.fresh();
    const key = this.active.get(alg);
    if (!key) throw new Error(`No current ${alg} signing key`);
    return key;
  }

  /**
   * The published keys. While the database cannot be reached the keys read last are answered (tried again
   * at most once per refreshMs): relying parties keep verifying tokens during an outage, and a key can be
   * neither rotated nor revoked without the database meanwhile.
   */
  async publicKeys(): Promise<{ keys: PublishedJwk[] }> {
    if (this.jwks.keys.length && this.now() - this.failedAt < this.refreshMs) return this.jwks;
    try {
      await this.fresh();
    } catch (error) {
      if (!this.jwks.keys.length || storageUnavailable(error)?.problem !== 'unreachable') throw error;
      this.failedAt = this.now();
    }
    return this.jwks;
  }

  /** Forget the keys read so far: the next use reads them again (a rotation or revocation just committed). */
  invalidate(): void {
    this.generation++;
    this.loadedAt = -Infinity;
    this.loading = undefined;
  }

  get ready(): boolean {
    return this.active.size === signingAlgs.length;
  }

  get keys(): readonly SigningKey[] {
    return this.published;
  }
}
