// Hashes of secrets that are stored or compared: codes, refresh tokens and session ids are kept as their
// SHA-256, and secrets are compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison of two strings of any length (both hashed first, so length leaks nothing). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** SHA-256, base64url: how codes, refresh tokens and session ids are stored. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
