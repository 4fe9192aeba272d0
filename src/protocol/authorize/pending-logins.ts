// Who a login transaction belongs to, for the caps on pending ones (docs/sign-in.md "Pending sign-ins"):
// every /authorize that needs the login page stores the request until it is completed or expires, so an
// anonymous client could otherwise fill the database. A network (the connecting IPv4 address, or the /64 of
// an IPv6 one) and a browser (its cookie) each get a number of pending transactions; past it, 429.
import { isIPv6 } from 'node:net';
import { sha256 } from '../../crypto/hash.js';
import type { TransactionOwners } from '../../store/types.js';
import { OAuthError } from '../errors.js';

/** What the browser cookie holds: randomSecret()'s 32 bytes, base64url. Anything else is ignored. */
const BROWSER_ID = /^[\w-]{43}$/;

/**
 * RFC 4291 §2.5.4: the low 64 bits are the interface identifier, which a host picks for itself (RFC 8981
 * temporary addresses change it at will), so one host or one LAN is a /64. An IPv4-mapped address is IPv4.
 */
export function networkOf(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head, tail] = ip.replace(/%.*$/, '').split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  // An embedded IPv4 tail (RFC 4291 §2.2 form 3) takes two of the eight groups.
  const rightGroups = right.length + (right.at(-1)?.includes('.') ? 1 : 0);
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - rightGroups)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** The owners of a transaction started by this IP and browser cookie (a malformed cookie counts as none). */
export function transactionOwners(ip: string, browserCookie: string | undefined): TransactionOwners {
  // Stored hashed: the database alone does not give away a cookie to spend another browser's allowance with.
  return { ip: networkOf(ip), browser: isBrowserId(browserCookie) ? sha256(browserCookie) : undefined };
}

export function isBrowserId(value: string | undefined): value is string {
  return value !== undefined && BROWSER_ID.test(value);
}

/** The refusal: 429 with Retry-After, when the limiting owner's oldest pending transaction expires. */
export function tooManyPendingLogins(retryAt: number, now: number): OAuthError {
  const seconds = Math.max(1, Math.ceil((retryAt - now) / 1000));
  return new OAuthError(
    'too_many_requests',
    'Too many sign-ins have been started from this network or browser without being completed. Finish one that is open, or try again later.',
    { headers: { 'retry-after': String(seconds) } },
  );
}
