// Passwords are hashed with argon2id (OWASP's parameters: 19 MiB, 2 passes, 1 lane).
import { hash } from '@node-rs/argon2';

export const argon2Options = { algorithm: 2 /* Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, argon2Options);
}
