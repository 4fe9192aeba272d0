// SSO sessions: a server-side row per browser, found through a random cookie value whose hash is the
// key (the database never holds the cookie itself). Lifetimes come from the tenant (hours), with
// Auth0's defaults: 3 days idle, 7 days absolute.
import { randomSecret } from '../crypto/random.js';
import { sha256 } from '../crypto/hash.js';
import type { Session, SessionStore, TenantSettings } from '../store/types.js';

const HOUR = 3_600_000;
export const DEFAULT_IDLE_SESSION_HOURS = 72;
export const DEFAULT_SESSION_HOURS = 168;
const TOUCH_INTERVAL_MS = 60_000;

export function sessionLifetimes(tenant: TenantSettings) {
  return {
    idleMs: (tenant.idle_session_lifetime ?? DEFAULT_IDLE_SESSION_HOURS) * HOUR,
    absoluteMs: (tenant.session_lifetime ?? DEFAULT_SESSION_HOURS) * HOUR,
  };
}

/** The live session behind a cookie value, or undefined (unknown, expired or idle too long). */
export async function findSession(
  sessions: SessionStore,
  cookieValue: string | undefined,
  tenant: TenantSettings,
  now: number,
): Promise<Session | undefined> {
  if (!cookieValue || cookieValue.length > 200) return undefined;
  const idHash = sha256(cookieValue);
  const session = await sessions.get(idHash);
  if (!session) return undefined;
  const { idleMs } = sessionLifetimes(tenant);
  if (session.expires_at <= now || session.last_active_at + idleMs <= now) return undefined;
  // A session in use stays alive: record the activity, at most once a minute to spare the database.
  if (now - session.last_active_at >= TOUCH_INTERVAL_MS) {
    await sessions.touch(idHash, now);
    session.last_active_at = now;
  }
  return session;
}

export async function createSession(sessions: SessionStore, userId: string, tenant: TenantSettings, now: number) {
  const cookieValue = randomSecret();
  const session: Session = {
    sid: randomSecret(18),
    user_id: userId,
    authenticated_at: now,
    created_at: now,
    last_active_at: now,
    expires_at: now + sessionLifetimes(tenant).absoluteMs,
  };
  await sessions.create(sha256(cookieValue), session);
  return { cookieValue, session };
}

/** Deletes the session behind the cookie; returns it as it was (for the audit log), if there was one. */
export async function endSession(
  sessions: SessionStore,
  cookieValue: string | undefined,
): Promise<Session | undefined> {
  if (!cookieValue || cookieValue.length > 200) return undefined;
  const idHash = sha256(cookieValue);
  const session = await sessions.get(idHash);
  await sessions.delete(idHash);
  return session;
}
