// Which peers are proxies whose headers count (GATEHOUSE_TRUST_PROXY): X-Forwarded-For for the client address
// that IP-based protection counts and logs (Fastify's trustProxy, walked with proxy-addr from the socket's
// address back), and X-Request-Id for the request id. From any other peer both headers are ignored: anyone
// could otherwise send a fresh address with each guess and never be counted.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIPv4 } from 'node:net';

/** A request id taken from a proxy: printable, short, no spaces (it goes into logs and a response header). */
const PROXY_REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

export interface TrustedProxies {
  /** Fastify's trustProxy function: whether the hop at `address` is a trusted proxy. */
  trusts(address: string): boolean;
  /** Fastify's genReqId: the trusted proxy's X-Request-Id, else a new UUID. */
  requestId(request: IncomingMessage): string;
}

export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix] = entry.split('/');
    const type = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  const trusts = (address: string | undefined): boolean => {
    if (!entries.length || !address) return false;
    // A server listening on :: sees IPv4 peers as IPv4-mapped IPv6 addresses (::ffff:10.0.0.1).
    const v4 = address.startsWith('::ffff:') ? address.slice(7) : undefined;
    if (v4 && isIPv4(v4)) return list.check(v4, 'ipv4');
    return list.check(address, isIPv4(address) ? 'ipv4' : 'ipv6');
  };
  return {
    trusts,
    requestId(request) {
      const given = request.headers['x-request-id'];
      if (typeof given === 'string' && PROXY_REQUEST_ID.test(given) && trusts(request.socket.remoteAddress))
        return given;
      return randomUUID();
    },
  };
}
