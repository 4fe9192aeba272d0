// Passwordless connections (Auth0 docs: "Passwordless Connections", "Passwordless with Embedded Login",
// "Passwordless API"): the `email` and `sms` strategies sign a person in with a one-time code, sent by e-mail
// or text message or carried by an e-mail's magic link. What /passwordless/start, the OTP grant, the magic link
// and the login pages share, with plain inputs: the connection's settings, issuing a code, redeeming it, and
// finding or creating the user it signs in.
//
// A code has six digits (options.totp.length), lives three minutes (options.totp.time_step, in seconds), is
// spent by its first right use, and burnt by the third wrong one. A new code for the same address replaces the
// previous one. Codes are stored as an HMAC under a key derived from the master secret.
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import type { Client, Connection, PasswordlessCode, Stores, User } from '../store/types.js';

export const passwordlessStrategies = ['email', 'sms'] as const;
export type PasswordlessStrategy = (typeof passwordlessStrategies)[number];

/** Auth0: three wrong tries burn the code. */
export const MAX_ATTEMPTS = 3;
const DEFAULT_LENGTH = 6;
const DEFAULT_TIME_STEP_SECONDS = 180;
const HOUR_MS = 60 * 60 * 1000;

/** Auth0's limits on /passwordless/start: 50 per IP per hour, 10 per address per hour (leaking back evenly). */
export const startLimits = {
  ip: { kind: 'passwordless_start', max: 50, leakMs: HOUR_MS / 50 },
  address: { kind: 'passwordless_address', max: 10, leakMs: HOUR_MS / 10 },
} as const;

export const MAX_ATTEMPTS_DESCRIPTION = "You've reached the maximum number of attempts. Please try to login again.";
export const SIGNUP_DISABLED_DESCRIPTION = 'Public signup is disabled for this connection.';

/** Auth0's words for a wrong, expired, used or superseded code. */
export function wrongCodeDescription(strategy: PasswordlessStrategy): string {
  return strategy === 'sms' ? 'Wrong phone number or verification code.' : 'Wrong email or verification code.';
}

export function isPasswordless(connection: Connection | undefined): connection is Connection & {
  strategy: PasswordlessStrategy;
} {
  return connection !== undefined && (passwordlessStrategies as readonly string[]).includes(connection.strategy);
}

/** The passwordless connection of that name when it is enabled for the client. */
export function enabledPasswordlessConnection(
  connection: Connection | undefined,
  client: Client,
  strategy?: PasswordlessStrategy,
): (Connection & { strategy: PasswordlessStrategy }) | undefined {
  if (!isPasswordless(connection) || !connection.enabled_clients.includes(client.client_id)) return undefined;
  if (strategy && connection.strategy !== strategy) return undefined;
  return connection;
}

interface TotpOptions {
  length?: number;
  time_step?: number;
}

export function codeSettings(connection: Connection): { length: number; lifetimeMs: number } {
  const totp = (connection.options.totp ?? {}) as TotpOptions;
  return {
    length: Number.isInteger(totp.length) ? totp.length! : DEFAULT_LENGTH,
    lifetimeMs: (Number.isInteger(totp.time_step) ? totp.time_step! : DEFAULT_TIME_STEP_SECONDS) * 1000,
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** ITU-T E.164: a plus, then up to fifteen digits, the first not zero. */
const E164 = /^\+[1-9]\d{1,14}$/;

/** The address as codes and users are keyed by it (e-mail lower-cased, phone number as given), or undefined if malformed. */
export function identifierOf(strategy: PasswordlessStrategy, value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (strategy === 'sms') return E164.test(value) ? value : undefined;
  const email = value.trim().toLowerCase();
  return EMAIL.test(email) && email.length <= 320 ? email : undefined;
}

function hashCode(key: Buffer, connection: string, identifier: string, code: string): string {
  return createHmac('sha256', key).update(`${connection}\n${identifier}\n${code}`).digest('base64url');
}

/** A browser cookie's hash, as a code bound to that browser stores it. */
export function bindingOf(key: Buffer, cookie: string): string {
  return createHmac('sha256', key).update(`binding\n${cookie}`).digest('base64url');
}

export interface IssueCode {
  connection: Connection;
  identifier: string;
  client_id: string;
  /** The /authorize parameters of a magic link; none for a code. */
  auth_params?: Record<string, string>;
  /** From a browser that alone may complete the sign-in: bindingOf(its cookie). */
  binding?: string;
  at: number;
}

/** Makes a new code for the address, replacing any earlier one, and returns it (to be sent, never stored). */
export async function issueCode(
  stores: Pick<Stores, 'passwordlessCodes'>,
  key: Buffer,
  input: IssueCode,
): Promise<{ code: string; expiresAt: number }> {
  const { length, lifetimeMs } = codeSettings(input.connection);
  const code = Array.from({ length }, () => randomInt(10)).join('');
  const row: PasswordlessCode = {
    connection: input.connection.name,
    identifier: input.identifier,
    code_hash: hashCode(key, input.connection.name, input.identifier, code),
    client_id: input.client_id,
    auth_params: input.auth_params ?? null,
    binding: input.binding ?? null,
    created_at: input.at,
    expires_at: input.at + lifetimeMs,
  };
  await stores.passwordlessCodes.replace(row);
  return { code, expiresAt: row.expires_at };
}

/** Why a code did not sign anyone in: wrong (or expired, used, superseded), or wrong for the last time. */
export class PasswordlessCodeError extends Error {
  constructor(
    readonly reason: 'wrong' | 'burnt',
    readonly description: string,
  ) {
    super(description);
  }
}

export interface RedeemCode {
  connection: Connection & { strategy: PasswordlessStrategy };
  identifier: string;
  code: string;
  client_id: string;
  /** bindingOf the browser's cookie, when the request comes from a browser that has one. */
  binding?: string;
  at: number;
}

/** Spends the address's live code if this is it; else counts a wrong try and throws PasswordlessCodeError. */
export async function redeemCode(
  stores: Pick<Stores, 'passwordlessCodes'>,
  key: Buffer,
  input: RedeemCode,
): Promise<PasswordlessCode> {
  const result = await stores.passwordlessCodes.redeem(
    {
      connection: input.connection.name,
      identifier: input.identifier,
      code_hash: hashCode(key, input.connection.name, input.identifier, input.code),
      client_id: input.client_id,
      binding: input.binding ?? null,
    },
    input.at,
    MAX_ATTEMPTS,
  );
  if (result.outcome === 'redeemed') return result.code;
  if (result.outcome === 'wrong' && result.attemptsLeft === 0)
    throw new PasswordlessCodeError('burnt', MAX_ATTEMPTS_DESCRIPTION);
  throw new PasswordlessCodeError('wrong', wrongCodeDescription(input.connection.strategy));
}

/** The connection's user with this address, if any. */
export async function findPasswordlessUser(
  users: Stores['users'],
  connection: Connection & { strategy: PasswordlessStrategy },
  identifier: string,
): Promise<User | undefined> {
  if (connection.strategy === 'email') return users.findByEmail(connection.name, identifier);
  const { users: found } = await users.list({
    filter: {
      kind: 'and',
      items: [
        { kind: 'match', field: 'connection', value: connection.name, prefix: false },
        { kind: 'match', field: 'phone_number', value: identifier, prefix: false },
      ],
    },
    sort: { field: 'created_at', descending: false },
    offset: 0,
    limit: 1,
    withTotal: false,
  });
  return found[0];
}

/** Auth0's options.disable_signup: only existing users may sign in. */
export function signupDisabled(connection: Connection): boolean {
  return connection.options.disable_signup === true;
}

/**
 * The user a redeemed code signs in: found, or created on first use (Auth0: `email|<id>`, `sms|<id>`) unless the
 * connection disables sign-up. The code proved the address: it is verified from now on.
 */
export async function signInWithCode(
  stores: Pick<Stores, 'users'>,
  connection: Connection & { strategy: PasswordlessStrategy },
  identifier: string,
  at: number,
): Promise<{ user: User; created: boolean }> {
  const existing = await findPasswordlessUser(stores.users, connection, identifier);
  const sms = connection.strategy === 'sms';
  if (existing) {
    const verified = sms ? existing.phone_verified : existing.email_verified;
    if (verified) return { user: existing, created: false };
    const patch = sms ? { phone_verified: true } : { email_verified: true };
    await stores.users.update(existing.user_id, { ...patch, updated_at: at });
    return { user: { ...existing, ...patch, updated_at: at }, created: false };
  }
  if (signupDisabled(connection)) throw new PasswordlessCodeError('wrong', SIGNUP_DISABLED_DESCRIPTION);
  const user: User = {
    user_id: `${connection.strategy}|${randomBytes(12).toString('hex')}`,
    connection: connection.name,
    email: sms ? null : identifier,
    email_verified: !sms,
    username: null,
    phone_number: sms ? identifier : null,
    phone_verified: sms,
    name: identifier,
    given_name: null,
    family_name: null,
    nickname: sms ? identifier : identifier.split('@')[0],
    picture: null,
    password_hash: null,
    user_metadata: {},
    app_metadata: {},
    blocked: false,
    created_at: at,
    updated_at: at,
  };
  try {
    await stores.users.insert(user);
  } catch (error) {
    // Two first sign-ins racing for one address (two connections' codes cannot, one code is spent once).
    const raced = await findPasswordlessUser(stores.users, connection, identifier);
    if (raced) return { user: raced, created: false };
    throw error;
  }
  return { user, created: true };
}
