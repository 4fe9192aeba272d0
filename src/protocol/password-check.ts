// Password checks for database connections: argon2id, and hashes imported from elsewhere (Auth0's bulk import:
// bcrypt, other argon2 variants, and custom_password_hash schemes), which are replaced by argon2id at the first
// successful login, as Auth0 replaces an imported hash with its own.
import { isImportedHash, verifyImportedHash } from '../crypto/imported-hashes.js';
import type { Passwords } from '../crypto/passwords.js';
import type { User, UserStore } from '../store/types.js';

export interface PasswordCheck {
  /** Whether the password is the user's (a user without a password never matches). */
  check(user: User, password: string): Promise<boolean>;
  /** Verifies against a real hash when there is no such user, so timing does not tell whether the e-mail exists. */
  spend(password: string): Promise<void>;
}

export function passwordCheck(passwords: Passwords, users: UserStore): PasswordCheck {
  let decoyHash: Promise<string> | undefined;
  const spend = async (password: string) => {
    decoyHash ??= passwords.hash('gatehouse decoy password');
    await passwords.verify(await decoyHash, password);
  };
  return {
    spend,
    async check(user, password) {
      const hash = user.password_hash;
      if (!hash) {
        await spend(password);
        return false;
      }
      if (hash.startsWith('$argon2id$')) return passwords.verify(hash, password);
      let ok = false;
      if (hash.startsWith('$argon2')) ok = await passwords.verify(hash, password);
      else if (isImportedHash(hash)) ok = await verifyImportedHash(hash, password);
      else await spend(password);
      if (ok) await users.update(user.user_id, { password_hash: await passwords.hash(password) });
      return ok;
    },
  };
}
