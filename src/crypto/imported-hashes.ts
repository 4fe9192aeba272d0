// Password hashes made by other systems, as Auth0's bulk import takes them (Auth0 docs: "Bulk User Import Database
// Schema and Examples", custom_password_hash). bcrypt and argon2 hashes are stored as they are (their strings name
// their scheme); the others are stored as `$custom$` followed by the normalized custom_password_hash object.
// Each is verified with the library made for its scheme (bcryptjs, @node-rs/argon2, node:crypto), and compared in
// constant time; a successful sign-in replaces it with argon2id (password-check.ts).
import { createHash, createHmac, getHashes, pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';

const pbkdf2Async = promisify(pbkdf2);

export const CUSTOM_PREFIX = '$custom$';

/** Why a custom_password_hash was refused: Auth0's message, for the row's error in the job's errors. */
export class ImportedHashError extends Error {}

type BinaryEncoding = 'hex' | 'base64' | 'utf8';
const passwordEncodings = ['ascii', 'utf8', 'utf16le', 'ucs2', 'latin1', 'binary'] as const;
type PasswordEncoding = (typeof passwordEncodings)[number];

/** A custom_password_hash once checked: what is stored (inside `$custom$…`) for the schemes that are not bcrypt or argon2. */
export interface CustomHash {
  algorithm: 'hmac' | 'ldap' | 'md4' | 'md5' | 'pbkdf2' | 'sha1' | 'sha256' | 'sha512';
  hash: {
    value: string;
    encoding?: BinaryEncoding;
    digest?: string;
    key?: { value: string; encoding?: BinaryEncoding };
  };
  salt?: { value: string; encoding?: BinaryEncoding; position: 'prefix' | 'suffix' };
  password?: { encoding: PasswordEncoding };
}

const HMAC_DIGESTS = ['md4', 'md5', 'ripemd160', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'];
const PBKDF2 = /^\$pbkdf2-([a-z0-9-]+)\$i=(\d+),l=(\d+)\$([A-Za-z0-9+/.]+)\$([A-Za-z0-9+/.]+)$/;
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const ARGON2 = /^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
/** RFC 2307 §5.3 userPassword schemes (and their salted variants, the salt after the digest). */
const LDAP: Record<string, { digest: string; salted: boolean }> = {
  SHA: { digest: 'sha1', salted: false },
  SSHA: { digest: 'sha1', salted: true },
  SHA256: { digest: 'sha256', salted: false },
  SSHA256: { digest: 'sha256', salted: true },
  SHA384: { digest: 'sha384', salted: false },
  SSHA384: { digest: 'sha384', salted: true },
  SHA512: { digest: 'sha512', salted: false },
  SSHA512: { digest: 'sha512', salted: true },
  MD5: { digest: 'md5', salted: false },
  SMD5: { digest: 'md5', salted: true },
};

const available = (digest: string) => getHashes().includes(digest);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function fail(message: string): never {
  throw new ImportedHashError(message);
}

function encodingOf(
  value: unknown,
  allowed: readonly string[],
  fallback: BinaryEncoding,
  where: string,
): BinaryEncoding {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !allowed.includes(value)) fail(`${where} must be one of: ${allowed.join(', ')}`);
  return value as BinaryEncoding;
}

function decoded(value: string, encoding: BinaryEncoding, where: string): Buffer {
  const ok =
    encoding === 'hex'
      ? /^([0-9a-fA-F]{2})+$/.test(value)
      : encoding === 'base64'
        ? /^[A-Za-z0-9+/]+={0,2}$/.test(value)
        : value.length > 0;
  if (!ok) fail(`${where} is not valid ${encoding}`);
  return Buffer.from(value, encoding);
}

/**
 * Checks a custom_password_hash against Auth0's rules for its algorithm and returns what to store as the user's
 * password_hash. Auth0 docs, "Supported hash algorithms": argon2, bcrypt, ldap and pbkdf2 take the whole hash in
 * hash.value (encoding utf8, no salt); md4/md5/sha* take hex or base64 digests with an optional salt prefix or suffix;
 * hmac also needs hash.digest and hash.key.
 */
export function storedHashOf(custom: unknown): string {
  if (!isObject(custom)) fail('custom_password_hash must be an object');
  const { algorithm, hash, salt, password } = custom;
  if (!isObject(hash) || typeof hash.value !== 'string' || hash.value === '')
    fail('custom_password_hash.hash.value is required');
  if (password !== undefined) {
    if (!isObject(password) || !passwordEncodings.includes(password.encoding as PasswordEncoding))
      fail(`custom_password_hash.password.encoding must be one of: ${passwordEncodings.join(', ')}`);
  }
  const value = hash.value;
  const wholeHash = algorithm === 'argon2' || algorithm === 'bcrypt' || algorithm === 'ldap' || algorithm === 'pbkdf2';
  if (wholeHash) {
    encodingOf(hash.encoding, ['utf8'], 'utf8', 'custom_password_hash.hash.encoding');
    if (salt !== undefined) fail(`custom_password_hash.salt is not allowed for ${algorithm}`);
  }
  switch (algorithm) {
    case 'bcrypt':
      if (!BCRYPT.test(value)) fail('custom_password_hash.hash.value is not a bcrypt hash ($2a$, $2b$ or $2y$)');
      if (password !== undefined) fail('custom_password_hash.password is not allowed for bcrypt');
      return value;
    case 'argon2':
      if (!ARGON2.test(value)) fail('custom_password_hash.hash.value is not an argon2 PHC string');
      if (password !== undefined) fail('custom_password_hash.password is not allowed for argon2');
      return value;
    case 'pbkdf2': {
      const match = PBKDF2.exec(value);
      if (!match)
        fail('custom_password_hash.hash.value must be $pbkdf2-<digest>$i=<iterations>,l=<length>$<salt>$<hash>');
      if (!available(match[1])) fail(`custom_password_hash: pbkdf2 digest ${match[1]} is not supported`);
      break;
    }
    case 'ldap': {
      const scheme = /^\{([A-Z0-9]+)\}[A-Za-z0-9+/]+={0,2}$/.exec(value)?.[1];
      if (!scheme || !LDAP[scheme])
        fail(`custom_password_hash.hash.value must be one of {${Object.keys(LDAP).join('}, {')}} followed by base64`);
      break;
    }
    case 'hmac': {
      if (typeof hash.digest !== 'string' || !HMAC_DIGESTS.includes(hash.digest))
        fail(`custom_password_hash.hash.digest must be one of: ${HMAC_DIGESTS.join(', ')}`);
      if (!available(hash.digest)) fail(`custom_password_hash: ${hash.digest} is not available on this server`);
      if (!isObject(hash.key) || typeof hash.key.value !== 'string')
        fail('custom_password_hash.hash.key.value is required for hmac');
      decoded(
        hash.key.value,
        encodingOf(hash.key.encoding, ['base64', 'hex', 'utf8'], 'utf8', 'custom_password_hash.hash.key.encoding'),
        'custom_password_hash.hash.key.value',
      );
      decoded(
        value,
        encodingOf(hash.encoding, ['base64', 'hex'], 'hex', 'custom_password_hash.hash.encoding'),
        'custom_password_hash.hash.value',
      );
      break;
    }
    case 'md4':
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512':
      if (!available(algorithm)) fail(`custom_password_hash: ${algorithm} is not available on this server`);
      decoded(
        value,
        encodingOf(hash.encoding, ['base64', 'hex'], 'hex', 'custom_password_hash.hash.encoding'),
        'custom_password_hash.hash.value',
      );
      break;
    default:
      fail(
        `custom_password_hash.algorithm must be one of: argon2, bcrypt, hmac, ldap, md4, md5, pbkdf2, sha1, sha256, sha512`,
      );
  }
  if (salt !== undefined) {
    if (!isObject(salt) || typeof salt.value !== 'string' || salt.value === '')
      fail('custom_password_hash.salt.value is required');
    if (salt.position !== 'prefix' && salt.position !== 'suffix')
      fail('custom_password_hash.salt.position must be prefix or suffix');
    decoded(
      salt.value,
      encodingOf(salt.encoding, ['base64', 'hex', 'utf8'], 'utf8', 'custom_password_hash.salt.encoding'),
      'custom_password_hash.salt.value',
    );
  }
  const normalized: CustomHash = {
    algorithm,
    hash: {
      value,
      ...(hash.encoding !== undefined ? { encoding: hash.encoding as BinaryEncoding } : {}),
      ...(hash.digest !== undefined ? { digest: hash.digest as string } : {}),
      ...(isObject(hash.key)
        ? { key: { value: hash.key.value as string, encoding: hash.key.encoding as BinaryEncoding | undefined } }
        : {}),
    },
    ...(isObject(salt) ? { salt: salt as CustomHash['salt'] } : {}),
    ...(isObject(password) ? { password: { encoding: password.encoding as PasswordEncoding } } : {}),
  };
  return CUSTOM_PREFIX + JSON.stringify(normalized);
}

/** B64 as PHC strings write it: base64 without padding (and `.` for `+` in some encoders). */
const phcBytes = (value: string) => Buffer.from(value.replace(/\./g, '+'), 'base64');

function salted(password: Buffer, custom: CustomHash): Buffer {
  if (!custom.salt) return password;
  const salt = Buffer.from(custom.salt.value, custom.salt.encoding ?? 'utf8');
  return custom.salt.position === 'prefix' ? Buffer.concat([salt, password]) : Buffer.concat([password, salt]);
}

/** Equal length is public (it follows from the scheme); the bytes are compared in constant time. */
const same = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

async function verifyCustom(custom: CustomHash, password: string): Promise<boolean> {
  const bytes = Buffer.from(password, custom.password?.encoding ?? 'utf8');
  const { value } = custom.hash;
  switch (custom.algorithm) {
    case 'pbkdf2': {
      const [, digest, iterations, length, salt, hash] = PBKDF2.exec(value)!;
      const derived = await pbkdf2Async(bytes, phcBytes(salt), Number(iterations), Number(length), digest);
      return same(derived, phcBytes(hash));
    }
    case 'ldap': {
      const [, scheme, encoded] = /^\{([A-Z0-9]+)\}(.*)$/.exec(value)!;
      const { digest, salted: hasSalt } = LDAP[scheme];
      const stored = Buffer.from(encoded, 'base64');
      const size = createHash(digest).digest().length;
      const salt = hasSalt ? stored.subarray(size) : Buffer.alloc(0);
      return same(createHash(digest).update(bytes).update(salt).digest(), stored.subarray(0, size));
    }
    case 'hmac': {
      const key = Buffer.from(custom.hash.key!.value, custom.hash.key!.encoding ?? 'utf8');
      const mac = createHmac(custom.hash.digest!, key).update(salted(bytes, custom)).digest();
      return same(mac, Buffer.from(value, custom.hash.encoding ?? 'hex'));
    }
    default:
      return same(
        createHash(custom.algorithm).update(salted(bytes, custom)).digest(),
        Buffer.from(value, custom.hash.encoding ?? 'hex'),
      );
  }
}

/** Whether a stored hash is bcrypt's or a `$custom$` one: verified here, then replaced with argon2id. */
export const isImportedHash = (stored: string) => BCRYPT.test(stored) || stored.startsWith(CUSTOM_PREFIX);

/** Verifies a password against a bcrypt or `$custom$` hash; false for a wrong password or an unreadable hash. */
export async function verifyImportedHash(stored: string, password: string): Promise<boolean> {
  if (BCRYPT.test(stored)) return bcrypt.compare(password, stored);
  if (!stored.startsWith(CUSTOM_PREFIX)) return false;
  try {
    return await verifyCustom(JSON.parse(stored.slice(CUSTOM_PREFIX.length)) as CustomHash, password);
  } catch {
    return false;
  }
}

/** A stored hash as Auth0's bulk import takes it back (for `gatehouse users export --with-hashes`). */
export function importableHash(stored: string): { password_hash: string } | { custom_password_hash: unknown } {
  if (BCRYPT.test(stored)) return { password_hash: stored };
  if (stored.startsWith(CUSTOM_PREFIX)) return { custom_password_hash: JSON.parse(stored.slice(CUSTOM_PREFIX.length)) };
  return { custom_password_hash: { algorithm: 'argon2', hash: { value: stored } } };
}
