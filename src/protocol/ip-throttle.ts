// Suspicious IP throttling with Auth0's defaults (Auth0 docs: "Suspicious IP Throttling",
// /docs/secure/attack-protection/suspicious-ip-throttling): 100 failed logins per IP
// per day, one attempt back every 14.4 minutes, and 50 sign-up attempts per IP per day, one back every
// 28.8 minutes. A throttled IP is answered 429 until an attempt has leaked back. The counts live in the
// database, so every worker and instance shares one allowance, and an attempt is taken in one statement
// before the work it guards, so a burst of parallel requests cannot overdraw it.
import type { IpThrottleStore, ThrottlePolicy } from '../store/types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export const ipThrottles = {
  /** Logins: taken before the password check, given back unless it failed (wrong password or unknown e-mail). */
  login: { max: 100, leakMs: DAY_MS / 100 },
  /** Sign-ups: every attempt counts, refused or not (Auth0's pre-user-registration stage). */
  signup: { max: 50, leakMs: DAY_MS / 50 },
  /** Password-reset requests, like sign-ups: each one may send an e-mail, so each one counts. */
  change_password: { max: 50, leakMs: DAY_MS / 50 },
  // RFC 8628 §5.1: user codes are short, so guesses at /activate are limited. A wrong code counts against the
  // network (as failed logins do) and, tighter, against the browser (its CSRF cookie, hashed, as the key).
  activate: { max: 100, leakMs: DAY_MS / 100 },
  activate_browser: { max: 10, leakMs: 6 * 60_000 },
} as const satisfies Record<string, ThrottlePolicy>;

export type ThrottleKind = keyof typeof ipThrottles;

/** Auth0's words for a throttled IP. */
export const THROTTLED_DESCRIPTION =
  'We have detected suspicious login behavior and further attempts will be blocked. Please contact the administrator.';

/** Takes one attempt of this kind for the IP; false when it has none left (answer 429). */
export function takeAttempt(store: IpThrottleStore, kind: ThrottleKind, ip: string, at: number): Promise<boolean> {
  return store.take(kind, ip, at, ipThrottles[kind]);
}
