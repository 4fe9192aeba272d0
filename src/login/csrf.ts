// CSRF tokens bound to a cookie set when the form was served (SPEC.md §6): the form's token is an HMAC
// of that browser's cookie value and the transaction, so the same fields posted without the cookie, or
// with another browser's, are refused.
import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../crypto/random.js';

export const CSRF_COOKIE = 'gatehouse_csrf';

export function newCsrfCookieValue(): string {
  return randomBytes(24).toString('base64url');
}

export function csrfToken(key: Buffer, cookieValue: string, purpose: string): string {
  return createHmac('sha256', key).update(`${cookieValue}\n${purpose}`).digest('base64url');
}

export function verifyCsrf(key: Buffer, cookieValue: string | undefined, purpose: string, token: unknown): boolean {
  if (!cookieValue || typeof token !== 'string' || !token) return false;
  return safeEqual(csrfToken(key, cookieValue, purpose), token);
}
