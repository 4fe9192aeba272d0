import { randomBytes } from 'node:crypto';

/** 32 random bytes, base64url: generated client secrets, handles. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** Auth0-style identifiers: `rol_` + 16 alphanumerics, and so on. */
export function randomId(prefix: string, length = 16): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length * 2);
  let out = '';
  // Rejection sampling keeps every character equally likely (248 = 4 × 62).
  for (const byte of bytes) {
    if (byte < 248) out += alphabet[byte % 62];
    if (out.length === length) return prefix + out;
  }
  return randomId(prefix + out, length - out.length);
}
