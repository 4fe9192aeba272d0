// Hostile clients against three `gatehouse start` instances (the real CLI, two workers each) on one PostgreSQL
// database, all at once, with small limits: a connection cap of a few per worker, headers and request timeouts of
// seconds, a heartbeat of seconds. Each instance gets more slow-loris and half-sent connections than it may hold:
// connections opened before the flood keep being served (discovery, a token), new ones are answered or refused
// with 503 and Retry-After but never left hanging, the slow ones are answered 408 or closed, and each instance's
// /metrics (summed over its workers) shows the refusals, the timeouts and the connections open. Then one worker
// of each instance is stopped (SIGSTOP): the primary replaces it, its /metrics counts the heartbeat kill, and the
// instance keeps serving. Nothing asserts how fast; every wait has a generous bound.
// PostgreSQL only: several instances share one PostgreSQL database; SQLite is for one machine.
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type CliProcess, childrenOf, killAllStartedChildren, spawnCli, waitFor } from '../helpers/cli.js';
import { databaseKinds, type TestDatabase } from '../helpers/databases.js';
import { acmeTenant, API, SECRET_BASIC } from '../helpers/fixtures.js';
import { freePort, TEST_SECRET, writeTenantFile } from '../helpers/server.js';

const postgres = databaseKinds.find((kind) => kind.name === 'PostgreSQL')!;

const WORKERS = 2;
/** GATEHOUSE_MAX_CONNECTIONS: per worker. */
const MAX = 6;
/** Keep-alive connections opened before the flood: more than one worker may hold, so a gauge this high is a sum. */
const HELD = MAX + 2;
/** Slow connections per instance: three times what the instance may hold. */
const FLOOD = 3 * WORKERS * MAX;
/** The bound of one request (an answer slower than this is a hang) and of each wait. */
const HANG_MS = 20_000;
const STEP_MS = 30_000;

const METRICS_TOKEN = 'metrics-token-0123456789-abcdefghijklmnop';
const BASIC = `Basic ${Buffer.from(`m2m-basic:${encodeURIComponent(SECRET_BASIC)}`).toString('base64')}`;
const TOKEN = {
  method: 'POST',
  headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'client_credentials', audience: API }).toString(),
};
const DISCOVERY = '/.well-known/openid-configuration';
const SCRAPE = { headers: { authorization: `Bearer ${METRICS_TOKEN}` } };

interface Instance {
  name: string;
  port: number;
  cli: CliProcess;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Sent on a connection that had served a request before (Node's `reusedSocket`). */
  reused: boolean;
}

interface Options {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request through `agent` (a kept connection) or on a connection of its own; fails if unanswered in HANG_MS. */
function send(port: number, path: string, options: Options = {}, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        agent: agent ?? false,
        headers: agent ? options.headers : { connection: 'close', ...options.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text, reused: req.reusedSocket }));
        res.on('error', reject);
      },
    );
    req.setTimeout(HANG_MS, () => req.destroy(new Error(`no answer to ${path} on ${port} within ${HANG_MS} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * A request on a new connection while the instance may be at its cap: answered (the status), or refused. A
 * refusal is the 503 with Retry-After, or a connection closed before the client read it. A hang fails.
 */
async function sendOrRefused(port: number, path: string, options: Options = {}): Promise<number | 'refused'> {
  try {
    const answer = await send(port, path, options);
    if (answer.status !== 503) return answer.status;
    assert.equal(answer.headers['retry-after'], '1', 'a refusal says when to retry (RFC 9110 §10.2.3)');
    return 'refused';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    assert.ok(code === 'ECONNRESET' || code === 'EPIPE', `${path} on ${port}: ${(error as Error).message}`);
    return 'refused';
  }
}

/** A slow client: what it received, and whether the server closed its connection. */
interface Slow {
  received(): string;
  isClosed(): boolean;
  destroy(): void;
}

/**
 * A connection that sends the start of a request and never finishes it: headers a byte at a time (slow-loris),
 * headers cut short, or a body cut short.
 */
function slowClient(port: number, kind: number): Promise<Slow> {
  const socket: Socket = connect(port, '127.0.0.1');
  let text = '';
  let closed = false;
  let trickle: NodeJS.Timeout | undefined;
  socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => {});
  socket.once('close', () => {
    closed = true;
    clearInterval(trickle);
  });
  const host = `host: 127.0.0.1:${port}\r\n`;
  const slow: Slow = {
    received: () => text,
    isClosed: () => closed,
    destroy: () => socket.destroy(),
  };
  return new Promise((resolve) => {
    const ready = () => resolve(slow);
    socket.once('close', ready).once('connect', () => {
      if (kind === 0) {
        socket.write(`GET ${DISCOVERY} HTTP/1.1\r\n`);
        const bytes = `${host}x-slow: ${'a'.repeat(200)}`;
        let i = 0;
        trickle = setInterval(() => !closed && socket.write(bytes[i++ % bytes.length]), 250);
      } else if (kind === 1) {
        socket.write(`GET ${DISCOVERY} HTTP/1.1\r\n${host}`);
      } else {
        socket.write(
          `POST /oauth/token HTTP/1.1\r\n${host}content-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\ngrant_type=`,
        );
      }
      ready();
    });
  });
}

/** The value of one sample line (`name{labels} value`) of a Prometheus text answer. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

after(() => killAllStartedChildren());

describe('three instances with two workers each, flooded by slow clients at once', { skip: postgres.skip }, () => {
  let db: TestDatabase;
  let instances: Instance[] = [];

  before(async () => {
    db = await postgres.create();
    const tenantFile = writeTenantFile(acmeTenant());
    const ports = [await freePort(), await freePort(), await freePort()];
    const issuer = `http://127.0.0.1:${ports[0]}/`;
    instances = await Promise.all(
      ports.map(async (port, i) => {
        const cli = spawnCli(['start'], {
          GATEHOUSE_PORT: String(port),
          GATEHOUSE_HOST: '127.0.0.1',
          GATEHOUSE_ISSUER: issuer,
          GATEHOUSE_DATABASE_URL: db.url,
          GATEHOUSE_SECRET: TEST_SECRET,
          GATEHOUSE_BOOTSTRAP: tenantFile,
          GATEHOUSE_WORKERS: String(WORKERS),
          GATEHOUSE_LOG_LEVEL: 'warn',
          GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN,
          GATEHOUSE_MAX_CONNECTIONS: String(MAX),
          GATEHOUSE_HEADERS_TIMEOUT: '2',
          GATEHOUSE_REQUEST_TIMEOUT: '3',
          // Long, so that the connections opened before the flood stay open through it.
          GATEHOUSE_KEEP_ALIVE_TIMEOUT: '120',
          GATEHOUSE_HEARTBEAT_TIMEOUT: '3',
        });
        await cli.waitForStdout(new RegExp(`Gatehouse is listening on 127\\.0\\.0\\.1:${port} \\(2 workers\\)`));
        return { name: 'ABC'[i], port, cli };
      }),
    );
  });
  after(async () => {
    // SIGTERM first (a clean exit closes the database connections), SIGKILL to what is left after 10 s.
    const timer = setTimeout(killAllStartedChildren, 10_000);
    await Promise.all(instances.map((instance) => instance.cli.stop()));
    clearTimeout(timer);
    killAllStartedChildren();
    await db?.drop();
  });

  test('past the cap on every instance: kept connections served, new ones answered or refused (never hung), slow ones 408 or closed, all in /metrics', async (t) => {
    const flooded = await Promise.all(
      instances.map(async (instance) => {
        const { name, port } = instance;
        // One agent per kept connection; opened one after the other, so the workers take turns accepting them.
        const held = Array.from({ length: HELD }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
        for (const agent of held) assert.equal((await send(port, '/healthz', {}, agent)).status, 200);
        const before = await send(port, '/metrics', SCRAPE, held[0]);
        assert.equal(sample(before.text, 'gatehouse_http_connections_refused_total'), 0, before.text);

        const slow = await Promise.all(Array.from({ length: FLOOD }, (_, i) => slowClient(port, i % 3)));
        let outcomes: Array<number | 'refused'> = [];
        try {
          // Kept connections are served while the flood holds every free place.
          for (const agent of held) {
            const discovery = await send(port, DISCOVERY, {}, agent);
            assert.equal(discovery.status, 200, `${name}: ${discovery.text}`);
            assert.ok(discovery.reused, `${name}: the kept connection served it`);
            const token = await send(port, '/oauth/token', TOKEN, agent);
            assert.equal(token.status, 200, `${name}: ${token.text}`);
            assert.ok(token.reused);
          }
          // New connections meanwhile: answered or refused, never left hanging.
          outcomes = await Promise.all(
            Array.from({ length: 6 }, (_, i) =>
              sendOrRefused(port, i % 2 ? DISCOVERY : '/oauth/token', i % 2 ? {} : TOKEN),
            ),
          );
          for (const outcome of outcomes) assert.ok(outcome === 200 || outcome === 'refused', `${name}: ${outcome}`);

          await waitFor(`${name}: every slow connection to be closed`, () => slow.every((c) => c.isClosed()), STEP_MS);
        } finally {
          for (const client of slow) client.destroy();
        }
        const seen = (status: number) => slow.filter((c) => c.received().startsWith(`HTTP/1.1 ${status} `)).length;
        for (const client of slow) assert.match(client.received(), /^(HTTP\/1\.1 (408|503) [\s\S]*)?$/);
        assert.ok(seen(408) > 0, `${name}: the slow connections let in are answered 408`);
        assert.ok(seen(503) > 0, `${name}: the connections past the cap are refused with 503`);

        // Once the slow ones are gone, new connections are answered again.
        for (const [path, options] of [
          [DISCOVERY, {}],
          ['/oauth/token', TOKEN],
        ] as const) {
          const status = await waitFor(`${name}: ${path} on a new connection`, async () => {
            const outcome = await sendOrRefused(port, path, options);
            return outcome === 200 && outcome;
          });
          assert.equal(status, 200);
        }

        const metrics = (await send(port, '/metrics', SCRAPE, held[0])).text;
        for (const agent of held) agent.destroy();
        return { name, metrics, seen408: seen(408), seen503: seen(503), outcomes };
      }),
    );

    for (const { name, metrics, seen408, seen503, outcomes } of flooded) {
      const refused = sample(metrics, 'gatehouse_http_connections_refused_total') ?? 0;
      const timeouts = sample(metrics, 'gatehouse_http_request_timeouts_total');
      const open = sample(metrics, 'gatehouse_http_connections_open') ?? 0;
      t.diagnostic(
        `${name}: clients read ${seen503} refusals and ${seen408} timeouts; /metrics: refused ${refused}, ` +
          `timeouts ${timeouts}, open ${open}; new connections during the flood: ${outcomes.join(' ')}`,
      );
      // The instance holds at most WORKERS × MAX: the kept connections leave room for that few of the flood.
      const refusedNew = outcomes.filter((outcome) => outcome === 'refused').length;
      assert.ok(refused >= FLOOD - (WORKERS * MAX - HELD) + refusedNew, `${name}: refused ${refused}`);
      assert.ok(refused >= seen503);
      assert.ok(timeouts !== undefined && timeouts >= seen408, `${name}: timeouts ${timeouts}, 408s read ${seen408}`);
      // Scraped on a kept connection while all of them were open: more than one worker may hold, so both are counted.
      assert.ok(open >= HELD && open <= WORKERS * MAX, `${name}: connections open ${open}`);
    }
  });

  test('one worker of each instance stopped (SIGSTOP): replaced by the heartbeat, counted in /metrics, the instance keeps serving', async () => {
    const scrape = async (instance: Instance) => {
      const answer = await send(instance.port, '/metrics', SCRAPE);
      assert.equal(answer.status, 200, answer.text);
      return answer.text;
    };
    await Promise.all(
      instances.map(async (instance) => {
        const { name, port } = instance;
        const primary = instance.cli.child.pid!;
        const killsBefore = sample(await scrape(instance), 'gatehouse_worker_heartbeat_kills_total') ?? 0;
        const [stopped, survivor] = childrenOf(primary);
        process.kill(stopped, 'SIGSTOP');
        try {
          await waitFor(
            `${name}: the primary to replace the stopped worker`,
            () => {
              const now = childrenOf(primary);
              return now.length === WORKERS && !now.includes(stopped) && now.includes(survivor);
            },
            STEP_MS,
          );
        } finally {
          try {
            process.kill(stopped, 'SIGCONT');
          } catch {
            // Killed already, as it should be.
          }
        }
        const metrics = await scrape(instance);
        assert.ok(
          (sample(metrics, 'gatehouse_worker_heartbeat_kills_total') ?? 0) >= killsBefore + 1,
          `${name}: ${metrics}`,
        );
        assert.ok((sample(metrics, 'gatehouse_worker_restarts_total') ?? 0) >= 1);
        // New connections: the workers take turns, the new one included.
        for (let i = 0; i < 4; i++) {
          assert.equal((await send(port, DISCOVERY)).status, 200);
          const token = await send(port, '/oauth/token', TOKEN);
          assert.equal(token.status, 200, `${name}: ${token.text}`);
        }
      }),
    );
  });
});
