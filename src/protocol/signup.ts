// Signing up to a database connection, for /dbconnections/signup and the hosted sign-up page alike.
// Errors carry Auth0's codes (Auth0 Authentication API: "Signup", /docs/api/authentication#signup; docs/sign-in.md).
import { randomBytes } from 'node:crypto';
import type { Passwords } from '../crypto/passwords.js';
import type { Client, Stores, User } from '../store/types.js';
import { describePolicy, meetsPolicy } from './password-policy.js';

export type SignupErrorCode =
  | 'user_exists'
  | 'invalid_password'
  | 'operation_not_allowed'
  | 'bad.connection'
  | 'bad.request';

export class SignupError extends Error {
  constructor(
    readonly code: SignupErrorCode,
    readonly description: string,
  ) {
    super(description);
  }
}

export interface SignupInput {
  email: string;
  password: string;
  connection: string;
  username?: string;
  given_name?: string;
  family_name?: string;
  name?: string;
  nickname?: string;
  picture?: string;
  user_metadata?: Record<string, unknown>;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function signUp(
  client: Client,
  input: SignupInput,
  stores: Pick<Stores, 'connections' | 'users'>,
  passwords: Pick<Passwords, 'hash'>,
  now: number,
): Promise<User> {
  const connection = await stores.connections.getByName(input.connection);
  if (connection?.strategy !== 'auth0' || !connection.enabled_clients.includes(client.client_id)) {
    throw new SignupError(
      'bad.connection',
      `The connection "${input.connection}" is not a database connection enabled for this application`,
    );
  }
  if (connection.options.disable_signup === true)
    throw new SignupError('operation_not_allowed', 'Public signup is disabled');
  const email = input.email.trim().toLowerCase();
  if (!EMAIL.test(email) || email.length > 320) throw new SignupError('bad.request', 'The email address is not valid');
  if (!meetsPolicy(input.password, connection.options)) {
    throw new SignupError('invalid_password', `Password is too weak. ${describePolicy(connection.options)}`);
  }
  if (await stores.users.findByEmail(connection.name, email))
    throw new SignupError('user_exists', 'The user already exists.');

  const user: User = {
    user_id: `auth0|${randomBytes(12).toString('hex')}`,
    connection: connection.name,
    email,
    email_verified: false,
    username: input.username ?? null,
    phone_number: null,
    phone_verified: false,
    name: input.name ?? null,
    given_name: input.given_name ?? null,
    family_name: input.family_name ?? null,
    nickname: input.nickname ?? null,
    picture: input.picture ?? null,
    password_hash: await passwords.hash(input.password),
    user_metadata: input.user_metadata ?? {},
    app_metadata: {},
    blocked: false,
    created_at: now,
    updated_at: now,
  };
  try {
    await stores.users.insert(user);
  } catch (error) {
    // Two sign-ups racing for one address: the unique (connection, email) index lets one through.
    if (await stores.users.findByEmail(connection.name, email))
      throw new SignupError('user_exists', 'The user already exists.');
    throw error;
  }
  return user;
}
