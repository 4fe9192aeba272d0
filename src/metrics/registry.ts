// The metrics one process keeps (docs/operations.md "Observability"): a prom-client Registry of its own per
// app (never prom-client's global one, so several apps in one process, as in the tests, do not collide), with
// the metric objects the layers above count through. Names follow Prometheus' naming conventions
// (prometheus.io/docs/practices/naming): a `gatehouse_` prefix, base units, `_total` on counters. Labels are
// few-valued: a route's pattern, never its URL; a grant type, an algorithm, an audit event code.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds; from a cached token (about 1 ms) to a slow sign-in or a stalled database. */
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const QUERY_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

/** Gauges read from the shared database: every worker sees the same value, so the cluster keeps one, not the sum. */
const SAME_IN_EVERY_WORKER = 'max' as const;

export type CacheName = 'clients' | 'resource_servers' | 'client_grants';

/** Values read only when /metrics is scraped; set by the parts that know them (prom-client calls `collect` then). */
export interface ScrapeSources {
  connectionsOpen?: () => number;
  pool?: () => { total: number; idle: number; waiting: number };
  /** Rejects when the database cannot be read: the gauge then keeps its last value. */
  outbox?: () => Promise<Record<string, number>>;
}

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const sources: ScrapeSources = {};
  return {
    registry,
    sources,
    httpRequestDuration: new Histogram({
      name: 'gatehouse_http_request_duration_seconds',
      help: 'Time from a request to its answer, by method, route pattern and status; _count counts the requests',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: HTTP_BUCKETS,
      registers,
    }),
    throttled: new Counter({
      name: 'gatehouse_http_throttled_total',
      help: 'Requests answered 429 by attack protection (brute force, IP throttles, pending sign-ins), by route pattern',
      labelNames: ['route'] as const,
      registers,
    }),
    connectionsOpen: new Gauge({
      name: 'gatehouse_http_connections_open',
      help: 'Connections open now',
      registers,
      collect() {
        if (sources.connectionsOpen) this.set(sources.connectionsOpen());
      },
    }),
    connectionsRefused: new Counter({
      name: 'gatehouse_http_connections_refused_total',
      help: 'Connections refused with a 503 because GATEHOUSE_MAX_CONNECTIONS were open',
      registers,
    }),
    requestTimeouts: new Counter({
      name: 'gatehouse_http_request_timeouts_total',
      help: 'Requests answered 408 and closed: headers or body not in within GATEHOUSE_HEADERS_TIMEOUT / GATEHOUSE_REQUEST_TIMEOUT',
      registers,
    }),
    tokensIssued: new Counter({
      name: 'gatehouse_tokens_issued_total',
      help: 'Successful token endpoint answers, by grant type and access token signing algorithm',
      labelNames: ['grant_type', 'alg'] as const,
      registers,
    }),
    auditEvents: new Counter({
      name: 'gatehouse_audit_events_total',
      help: "Events of the audit log by Auth0's event type code (s, f, fp, fu, limit_wc, limit_mu, …)",
      labelNames: ['type'] as const,
      registers,
    }),
    cacheLookups: new Counter({
      name: 'gatehouse_cache_lookups_total',
      help: 'Lookups in the in-memory configuration caches, by cache and result (hit or miss)',
      labelNames: ['cache', 'result'] as const,
      registers,
    }),
    queryDuration: new Histogram({
      name: 'gatehouse_db_query_duration_seconds',
      help: 'Time of each database query, by result (ok or error)',
      labelNames: ['result'] as const,
      buckets: QUERY_BUCKETS,
      registers,
    }),
    poolConnections: new Gauge({
      name: 'gatehouse_db_pool_connections',
      help: 'PostgreSQL pool clients by state (total, idle, waiting for a client); not reported on SQLite',
      labelNames: ['state'] as const,
      registers,
      collect() {
        const pool = sources.pool?.();
        if (!pool) return;
        for (const state of ['total', 'idle', 'waiting'] as const) this.set({ state }, pool[state]);
      },
    }),
    outboxMessages: new Gauge({
      name: 'gatehouse_outbox_messages',
      help: 'E-mails and text messages in the outbox (queued or waiting for a retry), by channel',
      labelNames: ['channel'] as const,
      aggregator: SAME_IN_EVERY_WORKER,
      registers,
      async collect() {
        try {
          const counts = await sources.outbox?.();
          for (const [channel, count] of Object.entries(counts ?? {})) this.set({ channel }, count);
        } catch {
          // The database is unreachable (/healthz says so); the other metrics are still worth reading.
        }
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The cluster primary's own metrics, added to its workers' (cluster.ts). */
export function createPrimaryMetrics() {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    heartbeatKills: new Counter({
      name: 'gatehouse_worker_heartbeat_kills_total',
      help: 'Workers killed and replaced because they stopped answering the heartbeat',
      registers,
    }),
    workerRestarts: new Counter({
      name: 'gatehouse_worker_restarts_total',
      help: 'Workers that died and were replaced (heartbeat kills included)',
      registers,
    }),
  };
}

export type PrimaryMetrics = ReturnType<typeof createPrimaryMetrics>;
