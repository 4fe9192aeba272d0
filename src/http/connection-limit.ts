// A cap on the connections one server holds open. Each connection is a file descriptor; a worker at its
// file limit can no longer receive the sockets the cluster primary passes it, and Node's cluster then
// stops handing that worker connections for good (docs/operations.md, "Connection limits"). Past the cap a
// new connection gets a 503 and is closed at once, the ones already open keep being served, and the
// refusals are logged once per interval with their count, not once per socket under a flood.
//
// Node's own server.maxConnections is not used: in a cluster worker it makes the worker send the socket
// back to the primary, which offers it to the same worker again at once, in a loop, and never closes it.
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { Metrics } from '../metrics/registry.js';

/** At most one log line about refused connections per this interval. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;

// RFC 9110 §15.6.4: 503 says the server is overloaded for now; Retry-After (§10.2.3) says when to retry.
const REFUSAL = 'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n';

export function limitConnections(
  server: Server,
  max: number,
  log: FastifyBaseLogger,
  metrics: Pick<Metrics, 'sources' | 'connectionsRefused'>,
): void {
  let open = 0;
  let refused = 0;
  // Read when /metrics is scraped: nothing more per connection than the count kept here anyway.
  metrics.sources.connectionsOpen = () => open;
  let logTimer: NodeJS.Timeout | undefined;
  const logRefusals = () => {
    logTimer = undefined;
    if (refused === 0) return;
    log.warn({ refused, open, maxConnections: max }, 'connections refused: too many open connections');
    refused = 0;
    // Keep one line per interval while the flood lasts.
    logTimer = setTimeout(logRefusals, REFUSAL_LOG_INTERVAL_MS).unref();
  };
  server.on('connection', (socket: Socket) => {
    if (open >= max) {
      refused++;
      metrics.connectionsRefused.inc();
      if (!logTimer) logRefusals();
      socket.on('error', () => {});
      // Written and then closed as soon as the kernel has it: the descriptor is freed now, not when the
      // client gets around to closing its side.
      socket.end(REFUSAL);
      socket.destroySoon();
      return;
    }
    open++;
    socket.once('close', () => open--);
  });
}
