// Password checks for database connections: argon2id, and bcrypt hashes imported from elsewhere
// (Auth0's bulk import), which are replaced by argon2id at the first successful login.
import bcrypt from 'bcryptjs';
import { hashPassword, verifyPassword } from '../crypto/passwords.js';
import type { User, UserStore } from '../store/types.js';

let decoyHash: Promise<string> | undefined;

/** Verifies against a real hash when there is no such user, so timing does not tell whether the e-mail exists. */
export async function spendPasswordCheck(password: string): Promise<void> {
  decoyHash ??= hashPassword('gatehouse decoy password');
  await verifyPassword(await decoyHash, password);
}

export async function checkPassword(user: User, password: string, users: UserStore): Promise<boolean> {
  const hash = user.password_hash;
  if (!hash) {
    await spendPasswordCheck(password);
    return false;
  }
  if (hash.startsWith('$argon2')) return verifyPassword(hash, password);
  if (/^\$2[aby]\$/.test(hash)) {
    const ok = await bcrypt.compare(password, hash);
    if (ok) await users.update(user.user_id, { password_hash: await hashPassword(password) });
    return ok;
  }
  return false;
}
