// A password attempt under Auth0's attack protection, for every surface that checks a password (the login page,
// the password grants): suspicious IP throttling (ip-throttle.ts), then brute-force protection (Auth0 "Brute-force
// protection"): 10 failed logins for one identifier from one IP block that identifier for that IP, for 30 days
// after the last failure counted, until a successful login resets the count.
//
// Both limits take their attempt in one database statement before the password is checked, and a successful
// login gives both back, so a burst of parallel guesses gets no more checks than a sequence of them. The lock
// is keyed by what the person typed (connection and lower-case e-mail), not by an account: an e-mail without an
// account is counted, blocked and answered exactly like one with an account, so the lock reveals nothing.
import type { PasswordCheck } from './password-check.js';
import type { IpThrottleStore, LockPolicy, LoginFailureStore, User, UserStore } from '../store/types.js';
import { takeAttempt } from './ip-throttle.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Auth0's defaults: 10 failures block the identifier for the IP; a block, like any count, lapses after 30 days. */
export const bruteForce = { max: 10, forgetMs: 30 * DAY_MS } as const satisfies LockPolicy;

/** Auth0's words for a blocked identifier (429 `too_many_attempts`). */
export const BLOCKED_DESCRIPTION =
  'Your account has been blocked after multiple consecutive login attempts. Reset your password or contact support.';

/** RFC 5321 §4.5.3.1: a local part is at most 64 octets and a domain 255; longer input is no one's e-mail. */
const MAX_IDENTIFIER = 320;

export interface PasswordAttempt {
  connection: string;
  email: string;
  password: string;
  ip: string;
  at: number;
}

export interface PasswordAttemptDeps {
  ipThrottles: IpThrottleStore;
  loginFailures: LoginFailureStore;
  users: Pick<UserStore, 'findByEmail' | 'recordLogin'>;
  passwords: PasswordCheck;
}

export type PasswordAttemptResult =
  /** The IP has no login attempt left (suspicious IP throttling). */
  | { outcome: 'throttled' }
  /** The identifier is blocked for this IP: the password was not checked. */
  | { outcome: 'blocked' }
  /** Unknown e-mail or wrong password: the same answer for both (only the audit log tells them apart). */
  | { outcome: 'wrong'; unknownUser: boolean; userId?: string }
  /** The password is the user's (who may still be blocked by an administrator: `user.blocked`). */
  | { outcome: 'correct'; user: User };

/** The identifier accounts are looked up and locked by: the e-mail as stored (trimmed, lower-case). */
export function identifierOf(email: string): string {
  return email.trim().toLowerCase().slice(0, MAX_IDENTIFIER);
}

/** Checks a password for an e-mail of a database connection, counting the attempt against both limits. */
export async function checkPasswordAttempt(
  deps: PasswordAttemptDeps,
  attempt: PasswordAttempt,
): Promise<PasswordAttemptResult> {
  const { connection, password, ip, at } = attempt;
  if (!(await takeAttempt(deps.ipThrottles, 'login', ip, at))) return { outcome: 'throttled' };
  const identifier = identifierOf(attempt.email);
  const key = { connection, identifier, ip };
  if (!(await deps.loginFailures.take(key, at, bruteForce))) {
    // A refused attempt checks nothing, so it does not spend the IP's allowance either.
    await deps.ipThrottles.giveBack('login', ip);
    return { outcome: 'blocked' };
  }
  const user = await deps.users.findByEmail(connection, identifier);
  if (!user) {
    // Verifies against a decoy hash, so that timing does not tell whether the e-mail has an account.
    await deps.passwords.spend(password);
    return { outcome: 'wrong', unknownUser: true };
  }
  if (!(await deps.passwords.check(user, password)))
    return { outcome: 'wrong', unknownUser: false, userId: user.user_id };
  // Auth0 user search, "logins_count": a blocked user who signs in is counted too, and last_login moves.
  await Promise.all([
    deps.ipThrottles.giveBack('login', ip),
    deps.loginFailures.reset(key),
    deps.users.recordLogin(user.user_id, at, ip),
  ]);
  return { outcome: 'correct', user };
}
