// CSRF tokens bound to a cookie set when the form was served (docs/sign-in.md): the form's token is an HMAC
// of that browser's cookie value and the transaction, so the same fields posted without the cookie, or
// with another browser's, are refused.
import type {} from '@fastify/cookie';
import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqual } from '../crypto/hash.js';

export const CSRF_COOKIE = 'gatehouse_csrf';

/** Which cookie a form's token is bound to: the /u pages' by default; /activate has its own (login/device.ts). */
export interface CsrfCookie {
  name: string;
  path: string;
}
const PAGES_COOKIE: CsrfCookie = { name: CSRF_COOKIE, path: '/u' };

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

export interface CsrfDeps {
  csrfKey: Buffer;
  secureCookies: boolean;
}

/** The token for a form being served, setting this browser's CSRF cookie first when it has none. */
export function formCsrfToken(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: CsrfDeps,
  purpose: string,
  place: CsrfCookie = PAGES_COOKIE,
): string {
  let cookie = request.cookies[place.name];
  if (!cookie || cookie.length > 100) {
    cookie = newCsrfCookieValue();
    reply.setCookie(place.name, cookie, {
      httpOnly: true,
      secure: deps.secureCookies,
      sameSite: 'lax',
      path: place.path,
    });
  }
  return csrfToken(deps.csrfKey, cookie, purpose);
}

/** Whether a posted form carries the token bound to this browser's CSRF cookie. */
export function formIsGenuine(
  request: FastifyRequest,
  deps: CsrfDeps,
  purpose: string,
  token: unknown,
  place: CsrfCookie = PAGES_COOKIE,
): boolean {
  return verifyCsrf(deps.csrfKey, request.cookies[place.name], purpose, token);
}
