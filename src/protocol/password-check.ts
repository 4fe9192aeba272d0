// Password checks for database connections: argon2id, and bcrypt hashes imported from elsewhere
// (Auth0's bulk import), which are replaced by argon2id at the first successful login.
import bcrypt from 'bcryptjs';
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
      if (hash.startsWith('$argon2')) return passwords.verify(hash, password);
      if (/^\$2[aby]\$/.test(hash)) {
        const ok = await bcrypt.compare(password, hash);
        if (ok) await users.update(user.user_id, { password_hash: await passwords.hash(password) });
        return ok;
      }
      return false;
    },
  };
}
