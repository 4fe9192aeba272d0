// The browser's SSO session cookie: its name and attributes, and starting a session for a user who just signed in
// (the login page, or a login ticket at /authorize).
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createSession, endSession } from '../protocol/session.js';
import type { Session, Store } from '../store/types.js';

export const SESSION_COOKIE = 'gatehouse_session';

export function sessionCookieOptions(secure: boolean) {
  // HttpOnly; on https Secure + SameSite=None (cross-site silent authentication), else Lax (Auth0 docs: "SameSite Cookie
  // Attribute Changes", /docs/manage-users/cookies/samesite-cookie-attribute-changes).
  return secure
    ? { httpOnly: true, secure: true, sameSite: 'none' as const, path: '/' }
    : { httpOnly: true, secure: false, sameSite: 'lax' as const, path: '/' };
}

export interface BrowserSessionDeps {
  store: Pick<Store, 'sessions' | 'tenant'>;
  secureCookies: boolean;
  now: () => number;
}

/** Starts the user's SSO session in this browser. A new sign-in replaces the browser's session: the old one must not outlive a later logout. */
export async function startBrowserSession(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: BrowserSessionDeps,
  userId: string,
): Promise<Session> {
  await endSession(deps.store.sessions, request.cookies[SESSION_COOKIE]);
  const { cookieValue, session } = await createSession(
    deps.store.sessions,
    userId,
    await deps.store.tenant.get(),
    deps.now(),
  );
  reply.setCookie(SESSION_COOKIE, cookieValue, sessionCookieOptions(deps.secureCookies));
  return session;
}
