// Signing keys as Auth0 keeps them: for each algorithm a current key (signs) and a next key (already
// published, so rotation switches at once); rotating makes next current, current previous (still
// published) and creates a new next. Keys live in the database, private halves sealed with the master secret.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { DecryptionError, type SecretBox } from '../crypto/secret-box.js';
import { type JwsSigner, jwsSigner } from './tokens/sign.js';
import type { SigningAlg, SigningKey, Store, Stores } from '../store/types.js';

export const signingAlgs: readonly SigningAlg[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

export class KeyDecryptionError extends Error {}

/** Revoking the current or next key would break tokens being issued now: rotate first. */
export class SigningKeyInUseError extends Error {}

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

async function newKey(alg: SigningAlg, box: SecretBox, status: 'current' | 'next', now: number): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const public_jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(public_jwk);
  const private_jwk = await exportJWK(privateKey);
  return {
    kid,
    alg,
    status,
    public_jwk: { ...public_jwk, kid, use: 'sig', alg },
    sealed_private_jwk: box.seal(JSON.stringify(private_jwk)),
    created_at: now,
    current_since: status === 'current' ? now : null,
    previous_since: null,
    revoked_at: null,
  };
}

/** Creates whatever current/next keys are missing. Safe when several instances start at once. */
export async function ensureSigningKeys(store: Store, box: SecretBox, now: () => number): Promise<void> {
  const complete = (keys: SigningKey[]) =>
    signingAlgs.every((alg) => ['current', 'next'].every((status) => keys.some((k) => k.alg === alg && k.status === status)));
  // The usual case, without taking the lock (which would tell every cache that something changed).
  if (complete(await store.signingKeys.listPublished())) return;
  await store.transaction('signing_keys', async (tx) => {
    const keys = await tx.signingKeys.listPublished();
    for (const alg of signingAlgs) {
      for (const status of ['current', 'next'] as const) {
        if (!keys.some((k) => k.alg === alg && k.status === status)) {
          await tx.signingKeys.insert(await newKey(alg, box, status, now()));
        }
      }
    }
  });
}

/** Rotates every algorithm's keys in one transaction. Returns the new current kids. */
export async function rotateSigningKeys(store: Store, box: SecretBox, now: () => number): Promise<string[]> {
  // Generate outside the lock: RSA generation takes a while and nobody need wait for it.
  const fresh = await Promise.all(signingAlgs.map((alg) => newKey(alg, box, 'next', now())));
  return store.transaction('signing_keys', async (tx: Stores) => {
    const at = now();
    const keys = await tx.signingKeys.listPublished();
    const currentKids: string[] = [];
    for (const key of fresh) {
      const current = keys.find((k) => k.alg === key.alg && k.status === 'current');
      const next = keys.find((k) => k.alg === key.alg && k.status === 'next');
      if (current) await tx.signingKeys.setStatus(current.kid, 'previous', at);
      if (next) {
        await tx.signingKeys.setStatus(next.kid, 'current', at);
        currentKids.push(next.kid);
        await tx.signingKeys.insert({ ...key, created_at: at });
      } else {
        await tx.signingKeys.insert({ ...key, status: 'current', current_since: at, created_at: at });
        currentKids.push(key.kid);
      }
    }
    return currentKids;
  });
}

/** Revokes a previous key: it leaves the JWKS. The current and next keys cannot be revoked. */
export async function revokeSigningKey(store: Store, kid: string, now: () => number): Promise<SigningKey | undefined> {
  return store.transaction('signing_keys', async (tx) => {
    const key = (await tx.signingKeys.list()).find((k) => k.kid === kid);
    if (!key) return undefined;
    if (key.status === 'current' || key.status === 'next') {
      throw new SigningKeyInUseError(`Key ${kid} is the ${key.status} key; rotate first, then revoke it`);
    }
    if (key.status !== 'revoked') await tx.signingKeys.setStatus(kid, 'revoked', now());
    return { ...key, status: 'revoked' };
  });
}

/**
 * The keys this process signs with and publishes. It re-reads the (small) key table at most once per
 * `refreshMs`, so a rotation by another process or instance is seen within that time; private keys are
 * decrypted once per kid.
 */
export class Keyring {
  private published: SigningKey[] = [];
  private jwks: { keys: PublishedJwk[] } = { keys: [] };
  private readonly active = new Map<SigningAlg, ActiveKey>();
  private readonly decrypted = new Map<string, ActiveKey>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly now: () => number,
    private readonly refreshMs = 1000,
  ) {}

  /** Loads the keys now; throws KeyDecryptionError when the master secret cannot open them. */
  async load(): Promise<void> {
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
    this.published = published;
    this.active.clear();
    for (const [alg, key] of active) this.active.set(alg, key);
    this.jwks = { keys: published.map((k) => k.public_jwk as PublishedJwk) };
    this.loadedAt = this.now();
  }

  /** The keys were read less than refreshMs ago. */
  private get loadedLately(): boolean {
    return this.now() - this.loadedAt < this.refreshMs;
  }

  private async fresh(): Promise<void> {
    if (this.loadedLately) return;
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    await this.loading;
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

  async publicKeys(): Promise<{ keys: PublishedJwk[] }> {
    await this.fresh();
    return this.jwks;
  }

  /** Forget when the keys were read, so the next use reads them again (another worker rotated them). */
  invalidate(): void {
    this.loadedAt = -Infinity;
  }

  get ready(): boolean {
    return this.active.size === signingAlgs.length;
  }

  get keys(): readonly SigningKey[] {
    return this.published;
  }
}
