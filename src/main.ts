// `gatehouse start`: the cluster primary prepares the tenant once (migrations, keys, tenant file), forks
// GATEHOUSE_WORKERS workers that serve one port over the same database, replaces a worker that dies,
// and on SIGTERM/SIGINT lets every worker drain its in-flight requests before exiting.
//
// A worker that stops answering the primary's heartbeat (heartbeat.ts) for GATEHOUSE_HEARTBEAT_TIMEOUT is
// killed and replaced.
//
//   primary:  prepareStart ──> fork N ──> all listening ──> banner ──> (worker exit ──> fork again)
//                                          └─ heartbeat ──> (silent too long ──> SIGKILL ──> fork again)
//   worker:   buildApp(prepared) ──> listen ──> … ──> SIGTERM / 'shutdown' ──> close (drain) ──> exit 0
//
// With HTTPS, SIGHUP to the primary (re)issues the local CA's certificate if needed and tells every worker to
// read its certificate again (http/tls.ts); connections stay open.
import cluster, { type Worker } from 'node:cluster';
import { rmSync } from 'node:fs';
import type { Server } from 'node:http';
import pino from 'pino';
import type { Gatehouse } from './app.js';
import type { Server as HttpsServer } from 'node:https';
import { type PreparedStart, prepareStart, prepareTls } from './start-up.js';
import { reloadServedCertificate } from './http/tls.js';
import { relayInvalidations } from './invalidation.js';
import { answerHeartbeats, watchHeartbeats } from './heartbeat.js';
import { answerMetricsCollection, clusterMetricsText, serveClusterMetrics } from './metrics/cluster.js';
import { createPrimaryMetrics } from './metrics/registry.js';
import { type Config, endpoints } from './config.js';
import { serializers } from './http/log.js';
import type { DevelopmentTenant } from './tenant-file/bootstrap.js';

/** A quiet server's log lines still appear within this time. */
const LOG_FLUSH_MS = 200;

/**
 * JSON logs on stdout. Buffered (one write per few KiB, not one per line): a request log line each on
 * the token path would otherwise cost a write system call per token. The buffer is flushed every
 * LOG_FLUSH_MS and when the process exits.
 */
export function createLogger(config: Pick<Config, 'logLevel'>) {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => {
    try {
      destination.flush();
    } catch {
      // Destroyed while the process exits: nothing left to flush.
    }
  }, LOG_FLUSH_MS).unref();
  return pino({ level: config.logLevel, serializers }, destination);
}

/** Plain text, printed once: the only place a generated secret is ever shown (docs/configuration.md "What a start does and prints"). */
export function banner(
  config: Config,
  workers: number,
  dev: DevelopmentTenant | undefined,
  localTls?: PreparedStart['localTls'],
): string {
  const urls = endpoints(config.issuer);
  const lines = [
    '',
    `Gatehouse is listening on ${config.host}:${config.port} (${workers} worker${workers === 1 ? '' : 's'})`,
    `  issuer:     ${config.issuer}`,
    `  discovery:  ${urls.discovery}`,
  ];
  const curl = localTls ? `curl --cacert ${localTls.caPath}` : 'curl';
  if (localTls) {
    lines.push(
      '',
      `HTTPS with a local certificate authority (docs/https.md). Trust ${localTls.caPath}:`,
      `  Node:      NODE_EXTRA_CA_CERTS=${localTls.caPath}`,
      `  curl:      ${curl} ${urls.discovery}`,
      `  Chromium:  --ignore-certificate-errors-spki-list=${localTls.caSpki}`,
    );
  } else if (config.tls?.mode === 'files') {
    lines.push('', `HTTPS with ${config.tls.certPath} (kill -HUP ${process.pid} reads it again)`);
  }
  if (dev) {
    lines.push(
      '',
      'This database was empty, so a development API and machine-to-machine client were created.',
      'The secret is shown only this once:',
      `  client_id:     ${dev.client_id}`,
      `  client_secret: ${dev.client_secret}`,
      `  audience:      ${dev.audience}`,
      '',
      'Get an access token:',
      `  ${curl} -s -u '${dev.client_id}:${dev.client_secret}' -d grant_type=client_credentials -d audience=${dev.audience} ${urls.token}`,
      '',
      'Sign a person in: open this URL, choose Sign up, and the browser comes back to the web app callback',
      `${dev.web.callback} with a code (examples/web-app receives it; see its README):`,
      `  ${authorizeUrl(config.issuer, dev.web.client_id, dev.web.callback)}`,
      `  web app client_id:     ${dev.web.client_id}`,
      `  web app client_secret: ${dev.web.client_secret}`,
    );
  }
  return `${lines.join('\n')}\n\n`;
}

function authorizeUrl(issuer: string, clientId: string, redirectUri: string): string {
  const url = new URL('authorize', issuer);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: 'openid profile email',
  }).toString();
  return url.toString();
}

const SHUTDOWN = 'gatehouse:shutdown';
const RELOAD_TLS = 'gatehouse:reload-tls';
const STOP_TIMEOUT_MS = 15_000;

/** Closes the app (in-flight requests answered, idle connections closed), then exits 0, or 1 if closing failed. */
function drainAndExit(gatehouse: Gatehouse, logger: pino.Logger): void {
  // close() ends the connections that are idle at that moment. One busy with a request becomes idle
  // once answered and then held the worker for the keep-alive timeout (GATEHOUSE_KEEP_ALIVE_TIMEOUT, up to
  // an hour), past STOP_TIMEOUT_MS, so a clean drain ended in SIGKILL and exit 1 (test/server/workers.test.ts).
  // Node reads keepAliveTimeout when an answer finishes: from now on an answered connection is
  // closed about a second later (Node adds 1 s) and the answer says Keep-Alive: timeout=0.
  gatehouse.app.server.keepAliveTimeout = 1;
  gatehouse.close().then(
    () => process.exit(0),
    (error) => {
      logger.error({ err: error }, 'error while stopping');
      process.exit(1);
    },
  );
}

async function runWorker(config: Config): Promise<void> {
  const logger = createLogger(config);
  // Listen for the stop before building the app: a stop during start-up must not be lost.
  let stopping = false;
  let gatehouse: Gatehouse | undefined;
  let metricsServer: Server | undefined;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (!gatehouse) return; // still building: exit as soon as it is built (below)
    metricsServer?.close();
    drainAndExit(gatehouse, logger);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const reloadTls = () => {
    if (gatehouse && config.tls)
      reloadServedCertificate(gatehouse.app.server as unknown as HttpsServer, config.tls, logger);
  };
  process.on('message', (message) => {
    if (message === SHUTDOWN) stop();
    else if (message === RELOAD_TLS) reloadTls();
  });
  // A SIGHUP sent to the whole process group reaches workers too: reload, never the default exit.
  if (config.tls) process.on('SIGHUP', reloadTls);
  // Loaded here, not at the top: the primary never serves HTTP and starts faster without it.
  const { buildApp } = await import('./app.js');
  const { createMetricsServer } = await import('./http/metrics.js');
  // Any worker answers /metrics for the whole instance, through the primary (metrics/cluster.ts).
  gatehouse = await buildApp(config, { logger, prepared: true, metricsText: () => clusterMetricsText });
  answerMetricsCollection(gatehouse.metrics.registry);
  if (stopping) {
    await gatehouse.close();
    process.exit(0);
  }
  if (config.metricsPort !== undefined) {
    const server = createMetricsServer(clusterMetricsText, (error) =>
      logger.error({ err: error }, 'metrics could not be collected'),
    );
    metricsServer = server;
    // Loopback only: the metrics port has no token (docs/operations.md "Observability").
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.metricsPort, '127.0.0.1', () => resolve());
    });
  }
  await gatehouse.app.listen({ port: config.port, host: config.host });
  answerHeartbeats(logger);
}

async function runPrimary(config: Config): Promise<void> {
  const logger = createLogger(config);
  const prepared = await prepareStart(config);
  if (prepared.generatedSecretPath) {
    logger.warn(
      { path: prepared.generatedSecretPath },
      'GATEHOUSE_SECRET is not set: generated a master secret beside the database. Keep it with the database; without it the stored keys cannot be read.',
    );
  }

  let stopping = false;
  let started = false;
  const recentExits: number[] = [];
  /** Workers killed for missing heartbeats: their exit is expected, not a crash. */
  const replaced = new WeakSet<Worker>();
  const metrics = createPrimaryMetrics();
  const stopMetrics = serveClusterMetrics(metrics.registry);
  const stopHeartbeats = watchHeartbeats({
    timeoutMs: config.heartbeatTimeoutMs,
    onSilent(worker, silentMs) {
      if (stopping) return;
      logger.error({ worker: worker.process.pid, silentMs }, 'worker stopped answering heartbeats; replacing it');
      replaced.add(worker);
      metrics.heartbeatKills.inc();
      worker.process.kill('SIGKILL');
    },
  });

  const stop = (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    stopHeartbeats();
    stopMetrics();
    logger.info({ signal }, 'draining in-flight requests');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send(SHUTDOWN);
    const timer = setTimeout(() => {
      logger.error('workers did not stop in time; killing them');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    timer.unref();
    const exitWhenDone = () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(code);
    };
    // A worker leaves cluster.workers once it has both exited and disconnected, in either order.
    cluster.on('exit', exitWhenDone);
    cluster.on('disconnect', exitWhenDone);
    exitWhenDone();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (config.tls) {
    process.on('SIGHUP', () => {
      // The local CA's certificate may be due again (hosts are fixed for this run, the clock is not).
      prepareTls(config, Date.now).then(
        () => {
          for (const worker of Object.values(cluster.workers ?? {})) worker?.send(RELOAD_TLS);
        },
        (error) => logger.error({ err: error }, 'TLS certificate not reloaded: still serving the previous one'),
      );
    });
  }

  cluster.on('exit', (worker: Worker, exitCode, signal) => {
    if (stopping) return;
    if (replaced.has(worker)) {
      metrics.workerRestarts.inc();
      cluster.fork();
      return;
    }
    if (!started) {
      // A worker that could not start (port taken, database gone): the others cannot either.
      process.stderr.write(`gatehouse: a worker failed to start (exit ${exitCode ?? signal}); see the message above\n`);
      stop('startup failure', 1);
      return;
    }
    const now = Date.now();
    recentExits.push(now);
    while (recentExits.length && recentExits[0] < now - 60_000) recentExits.shift();
    logger.error({ worker: worker.process.pid, exitCode, signal }, 'worker died; starting a new one');
    if (recentExits.length > 10) {
      logger.fatal('workers keep dying (more than 10 in a minute); stopping');
      stop('crash loop', 1);
      return;
    }
    metrics.workerRestarts.inc();
    cluster.fork();
  });

  relayInvalidations();
  let listening = 0;
  await new Promise<void>((resolve) => {
    // Counted on the main port: a worker also listens on the metrics port when there is one.
    cluster.on('listening', (_worker, address) => {
      if (address.port === config.port && ++listening === config.workers) resolve();
    });
    for (let i = 0; i < config.workers; i++) cluster.fork();
  });
  started = true;
  if (stopping) return;
  process.stdout.write(banner(config, config.workers, prepared.developmentTenant, prepared.localTls));
}

/** Test mode's banner: loud, because a server whose /test/ API hands out sessions must never face users. */
export function testBanner(config: Config): string {
  const rule = '!'.repeat(78);
  return [
    '',
    rule,
    '!!  GATEHOUSE IS IN TEST MODE. NEVER LET IT FACE USERS.',
    '!!  Any program on this machine can sign in as anyone (POST /test/session), move the clock,',
    '!!  read every e-mail and text message (GET /test/outbox) and wipe the tenant (POST /test/reset).',
    '!!  Passwords are hashed with argon2id at its minimal cost; messages are kept, not sent.',
    config.temporaryDatabaseDir
      ? `!!  Database: a temporary SQLite file in ${config.temporaryDatabaseDir}, deleted at exit.`
      : `!!  Database: ${config.databaseUrl.startsWith('sqlite:') ? config.databaseUrl : 'the one GATEHOUSE_DATABASE_URL names'}.`,
    rule,
    '',
  ].join('\n');
}

/**
 * Test mode: one process, no cluster (the test API's clock lives in the process that serves), and the
 * temporary database's folder removed however the process ends short of SIGKILL.
 */
async function runTestMode(config: Config): Promise<void> {
  const logger = createLogger(config);
  const removeTemporary = () => {
    if (config.temporaryDatabaseDir) rmSync(config.temporaryDatabaseDir, { recursive: true, force: true });
  };
  process.on('exit', removeTemporary);
  let stopping = false;
  let gatehouse: Gatehouse | undefined;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    if (!gatehouse) return;
    drainAndExit(gatehouse, logger);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const { buildApp } = await import('./app.js');
  gatehouse = await buildApp(config, { logger });
  if (stopping) {
    await gatehouse.close();
    process.exit(0);
  }
  await gatehouse.app.listen({ port: config.port, host: config.host });
  process.stdout.write(testBanner(config) + banner(config, 1, gatehouse.developmentTenant, gatehouse.localTls));
}

export async function start(config: Config): Promise<void> {
  if (config.mode === 'test') await runTestMode(config);
  else if (cluster.isPrimary) await runPrimary(config);
  else await runWorker(config);
}
