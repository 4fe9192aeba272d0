import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

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

/** Constant-time comparison of two strings of any length (both hashed first, so length leaks nothing). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
