// Encryption at rest for signing keys and client secrets: AES-256-GCM under a key derived from
// GATEHOUSE_SECRET with HKDF-SHA256. Output: "v1.<iv>.<ciphertext>.<tag>" in base64url.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export class DecryptionError extends Error {}

export interface SecretBox {
  seal(plaintext: string): string;
  open(sealed: string): string;
}

/** A purpose-bound 32-byte key, so the same master secret never keys two different uses. */
export function deriveKey(masterSecret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterSecret, 'gatehouse', purpose, 32));
}

export function createSecretBox(masterSecret: string): SecretBox {
  const key = deriveKey(masterSecret, 'encryption at rest v1');
  return {
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', iv, body, cipher.getAuthTag()]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    open(sealed) {
      const [version, iv, body, tag] = sealed.split('.');
      if (version !== 'v1' || !iv || body === undefined || !tag) throw new DecryptionError('not a sealed value');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch (cause) {
        throw new DecryptionError('cannot decrypt: wrong GATEHOUSE_SECRET or damaged value', { cause });
      }
    },
  };
}
