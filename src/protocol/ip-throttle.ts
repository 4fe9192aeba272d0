// Suspicious IP throttling, Auth0's defaults (AUTH0-WIRE.md "Attack protection"): 100 failed logins per IP
// per day, one attempt back every 14.4 minutes, and 50 sign-up attempts per IP per day, one back every
// 28.8 minutes. A throttled IP is answered 429 until an attempt has leaked back. The counts live in the
// database, so every worker and instance sees the same allowance.
import type { IpThrottleStore } from '../store/types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export const ipThrottles = {
  /** Failed logins (wrong password or unknown e-mail); while throttled, no login from the IP is tried. */
  login: { max: 100, leakMs: DAY_MS / 100 },
  /** Sign-up attempts, counted before each one (Auth0's pre-user-registration stage). */
  signup: { max: 50, leakMs: DAY_MS / 50 },
} as const;

export type ThrottleKind = keyof typeof ipThrottles;

/** Auth0's words for a throttled IP. */
export const THROTTLED_DESCRIPTION =
  'We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.';

/** Whether the IP has no attempt of this kind left now. */
export async function ipThrottled(store: IpThrottleStore, kind: ThrottleKind, ip: string, at: number): Promise<boolean> {
  const { max, leakMs } = ipThrottles[kind];
  return (await store.used(kind, ip, at, leakMs)) > max - 1;
}

export function countAttempt(store: IpThrottleStore, kind: ThrottleKind, ip: string, at: number): Promise<void> {
  return store.count(kind, ip, at, ipThrottles[kind].leakMs);
}
