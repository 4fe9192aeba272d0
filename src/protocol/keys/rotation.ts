// Signing keys as Auth0 keeps them: for each algorithm a current key (signs) and a next key (already
// published, so rotation switches at once); rotating makes next current, current previous (still
// published) and creates a new next. Keys live in the database, private halves sealed with the master secret,
// each with the self-signed certificate Auth0 publishes for its keys, made once with the key (crypto/certificate.ts).
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK } from 'jose';
import { selfSignedCertificate } from '../../crypto/certificate.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { SigningAlg, SigningKey, Store, Stores } from '../../store/types.js';
import { signingAlgs } from './keyring.js';

/** Revoking the current or next key would break tokens being issued now: rotate first. */
export class SigningKeyInUseError extends Error {}

/** The host the certificates name (subject and issuer CN), as Auth0's name its tenant domain: the issuer's. */
export const certificateHost = (issuer: string) => new URL(issuer).host;

async function newKey(
  alg: SigningAlg,
  box: SecretBox,
  status: 'current' | 'next',
  now: number,
  host: string,
): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const certificate = await selfSignedCertificate({ publicKey, privateKey, host, notBefore: now });
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
    certificate,
  };
}

/**
 * Makes and stores the certificate of every key that has none (keys created before certificates were), once:
 * under the signing_keys lock, reading the keys again inside it, so two instances never store two certificates
 * for one key. Returns whether any was made (the caller then re-reads the keys).
 */
export async function ensureCertificates(store: Store, box: SecretBox, host: string): Promise<boolean> {
  if ((await store.signingKeys.list()).every((key) => key.certificate !== null)) return false;
  return store.transaction('signing_keys', async (tx) => {
    let made = false;
    for (const key of await tx.signingKeys.list()) {
      if (key.certificate !== null) continue;
      const privateKey = await importJWK(JSON.parse(box.open(key.sealed_private_jwk)), key.alg, { extractable: false });
      const publicKey = await importJWK(key.public_jwk, key.alg);
      const certificate = await selfSignedCertificate({
        publicKey: publicKey as CryptoKey,
        privateKey: privateKey as CryptoKey,
        host,
        notBefore: key.created_at,
      });
      made = (await tx.signingKeys.setCertificate(key.kid, certificate)) || made;
    }
    return made;
  });
}

/**
 * Creates whatever current/next keys are missing, and the certificates of keys without one. Safe when several
 * instances start at once.
 */
export async function ensureSigningKeys(store: Store, box: SecretBox, now: () => number, host: string): Promise<void> {
  await ensureKeys(store, box, now, host);
  await ensureCertificates(store, box, host);
}

async function ensureKeys(store: Store, box: SecretBox, now: () => number, host: string): Promise<void> {
  const missing = (keys: SigningKey[]) =>
    signingAlgs.flatMap((alg) =>
      (['current', 'next'] as const)
        .filter((status) => !keys.some((k) => k.alg === alg && k.status === status))
        .map((status) => ({ alg, status })),
    );
  // The usual case, without taking the lock (which would tell every cache that something changed).
  const wanted = missing(await store.signingKeys.listPublished());
  if (!wanted.length) return;
  // A first start makes them all: generated at once (RSA takes a while; the thread pool runs them side by side),
  // before the lock, so that nobody waits for them. One another instance made meanwhile is kept, ours dropped.
  const fresh = await Promise.all(wanted.map(({ alg, status }) => newKey(alg, box, status, now(), host)));
  await store.transaction('signing_keys', async (tx) => {
    const still = missing(await tx.signingKeys.listPublished());
    for (const key of fresh) {
      if (still.some((m) => m.alg === key.alg && m.status === key.status)) await tx.signingKeys.insert(key);
    }
  });
}

/** Rotates every algorithm's keys in one transaction. Returns the new current kids. */
export async function rotateSigningKeys(
  store: Store,
  box: SecretBox,
  now: () => number,
  host: string,
): Promise<string[]> {
  // Generate outside the lock: RSA generation takes a while and nobody need wait for it.
  const fresh = await Promise.all(signingAlgs.map((alg) => newKey(alg, box, 'next', now(), host)));
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
