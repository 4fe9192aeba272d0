// One client against `gatehouse start` (the real CLI and cluster, under a low open-file limit): thousands of
// half-sent requests must not take the server down. Past the connection cap new connections are refused and
// the refusal is logged; once the flood is gone /healthz answers again. A worker that stops answering the
// primary's heartbeat (stopped with SIGSTOP, or wedged after losing a passed connection at its file limit)
// is killed and replaced.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { type CliProcess, childrenOf, killAllStartedChildren, spawnCli, waitFor } from '../helpers/cli.js';
import { freePort, TEST_SECRET } from '../helpers/server.js';
import { forEachDatabase } from '../helpers/each-database.js';

after(killAllStartedChildren);

/** The limit the server runs under, and more half-sent requests than it allows open files. */
const FILE_LIMIT = 1024;
const FLOOD = 1200;

function logLines(cli: CliProcess): Array<Record<string, unknown>> {
  return cli
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** GET /healthz on a new connection; the status, or undefined when there is no answer within 2 s. */
async function health(port: number): Promise<number | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
      headers: { connection: 'close' },
      signal: AbortSignal.timeout(2000),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return undefined;
  }
}

interface Flood {
  /** Connections the server closed, and how many of those it answered 503 first. */
  closed: number;
  refused: number;
  end(): void;
}

/** `count` connections that each send the start of a request and never finish it. */
async function halfSentRequests(port: number, count: number): Promise<Flood> {
  const sockets: Socket[] = [];
  const flood: Flood = {
    closed: 0,
    refused: 0,
    end: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
  const connected: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    socket.on('error', () => {});
    socket.setEncoding('utf8').on('data', (text: string) => /^HTTP\/1\.1 503 /.test(text) && flood.refused++);
    socket.once('close', () => flood.closed++);
    connected.push(new Promise((resolve) => socket.once('connect', () => resolve()).once('close', () => resolve())));
    socket.write(`GET /healthz HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`);
  }
  await Promise.all(connected);
  return flood;
}

forEachDatabase('gatehouse start under `ulimit -n 1024`, flooded by one client with half-sent requests', (db) => {
  after(() => killAllStartedChildren());

  async function startServer(env: Record<string, string>) {
    const port = await freePort();
    const cli = spawnCli(
      ['start'],
      {
        GATEHOUSE_PORT: String(port),
        GATEHOUSE_ISSUER: `http://127.0.0.1:${port}/`,
        GATEHOUSE_DATABASE_URL: db().url,
        GATEHOUSE_SECRET: TEST_SECRET,
        GATEHOUSE_LOG_LEVEL: 'info',
        ...env,
      },
      { fileLimit: FILE_LIMIT },
    );
    await cli.waitForStdout(/Gatehouse is listening on/);
    return { port, cli };
  }

  test('connections past the cap are refused with 503 and logged; /healthz answers again once the flood is gone', async () => {
    // Timeouts long enough that only the cap closes connections during the test.
    const { port, cli } = await startServer({
      GATEHOUSE_WORKERS: '1',
      GATEHOUSE_HEADERS_TIMEOUT: '600',
      GATEHOUSE_REQUEST_TIMEOUT: '600',
    });
    const flood = await halfSentRequests(port, FLOOD);
    try {
      // The default cap keeps the worker below its file limit: the connections past it are turned away (a
      // 503 first, unless the close resets the connection before the client reads it).
      await waitFor('the connections past the cap to be closed', () => flood.closed >= FLOOD - FILE_LIMIT, 30_000);
      assert.ok(flood.refused > 0, 'some refused connections read the 503');
      const line = await waitFor(
        'a log line about refused connections',
        () => logLines(cli).find((l) => l.msg === 'connections refused: too many open connections'),
        15_000,
      );
      assert.equal(line.level, 40);
      assert.equal(typeof line.maxConnections, 'number');
      assert.ok((line.maxConnections as number) < FILE_LIMIT, JSON.stringify(line));
      const lines = logLines(cli).filter((l) => l.msg === 'connections refused: too many open connections');
      assert.ok(lines.length < 10, `one line per interval, not one per refused socket: ${lines.length} lines`);
    } finally {
      flood.end();
    }
    await waitFor('/healthz to answer 200 after the flood', async () => (await health(port)) === 200, 30_000);
    const after = await cli.stop();
    assert.deepEqual(after, { code: 0, signal: null });
  });

  test('a worker that lost a passed connection at its file limit stops answering heartbeats, is replaced, and /healthz answers again', async () => {
    // A cap above the file limit lets the flood reach it: what the heartbeat is there to catch.
    const { port, cli } = await startServer({
      GATEHOUSE_WORKERS: '1',
      GATEHOUSE_MAX_CONNECTIONS: '5000',
      GATEHOUSE_HEARTBEAT_TIMEOUT: '2',
    });
    const primary = cli.child.pid!;
    const [worker] = childrenOf(primary);
    const flood = await halfSentRequests(port, FLOOD);
    try {
      await waitFor(
        'the worker to report the lost connection',
        () =>
          logLines(cli).some(
            (l) => l.pid === worker && /connection passed by the primary was lost/.test(String(l.msg)),
          ),
        30_000,
      );
    } finally {
      flood.end();
    }
    const replaced = await waitFor(
      'the primary to replace the worker',
      () => logLines(cli).find((l) => l.msg === 'worker stopped answering heartbeats; replacing it'),
      30_000,
    );
    assert.equal(replaced.worker, worker);
    assert.equal(replaced.level, 50);
    await waitFor('/healthz to answer 200 from the new worker', async () => (await health(port)) === 200, 30_000);
    assert.ok(!childrenOf(primary).includes(worker));
    await cli.stop();
  });

  test('a stopped worker (SIGSTOP) is killed and replaced after the heartbeat timeout; the other keeps serving', async () => {
    const { port, cli } = await startServer({ GATEHOUSE_WORKERS: '2', GATEHOUSE_HEARTBEAT_TIMEOUT: '2' });
    const primary = cli.child.pid!;
    const [stopped, survivor] = childrenOf(primary);
    process.kill(stopped, 'SIGSTOP');
    try {
      const line = await waitFor(
        'the primary to replace the stopped worker',
        () => logLines(cli).find((l) => l.msg === 'worker stopped answering heartbeats; replacing it'),
        30_000,
      );
      assert.equal(line.worker, stopped);
      assert.ok((line.silentMs as number) >= 2000, JSON.stringify(line));
      const workers = await waitFor(
        'a new worker',
        () => {
          const now = childrenOf(primary);
          return now.length === 2 && !now.includes(stopped) && now.includes(survivor) && now;
        },
        30_000,
      );
      assert.equal(workers.length, 2);
      assert.ok(
        !logLines(cli).some((l) => l.msg === 'worker died; starting a new one'),
        'a replacement is not reported as a crash',
      );
      for (let i = 0; i < 6; i++) assert.equal(await waitFor('a 200', () => health(port), 10_000), 200);
    } finally {
      try {
        process.kill(stopped, 'SIGCONT');
      } catch {
        // Killed already, as it should be.
      }
    }
    await cli.stop();
  });
});
