// `gatehouse start` with GATEHOUSE_WORKERS=2, run as a user runs it (the real CLI in a child process):
// two worker processes share the port and sign with the one key held in the database, a worker killed
// with SIGKILL is replaced, SIGTERM lets an in-flight request finish before everything exits, and a
// worker that cannot listen stops the CLI with exit 1 instead of a fork loop.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { forEachDatabase } from '../helpers/each-database.js';
import { freePort, TEST_SECRET, writeTenantFile } from '../helpers/server.js';
import { acmeTenant, API, SECRET_BASIC } from '../helpers/fixtures.js';
import { childrenOf, waitFor } from '../helpers/cli.js';

const BASIC = `Basic ${Buffer.from(`m2m-basic:${encodeURIComponent(SECRET_BASIC)}`).toString('base64')}`;
const TOKEN_BODY = new URLSearchParams({ grant_type: 'client_credentials', audience: API }).toString();

const cliPath = fileURLToPath(new URL('../../src/cli/index.js', import.meta.url));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
}

const started = new Set<ChildProcess>();

/** `node dist/src/cli/index.js …` with only the GATEHOUSE_* variables given here. */
function spawnCli(args: readonly string[], env: Record<string, string>): CliProcess {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GATEHOUSE_')));
  const child = spawn(process.execPath, [cliPath, ...args], {
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function runCli(args: readonly string[], env: Record<string, string>) {
  const cli = spawnCli(args, env);
  const exit = await cli.exited;
  return { ...exit, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** For `after` hooks, whatever a test left behind: each primary's workers, then the primary. */
function killStarted(): void {
  for (const child of started) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try {
      for (const pid of childrenOf(child.pid!)) process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
    child.kill('SIGKILL');
  }
  started.clear();
}

after(() => killStarted());

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** One token request on a connection of its own (no keep-alive), so each request is a new accept. */
function tokenRequest(port: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/oauth/token',
        method: 'POST',
        agent: false,
        headers: {
          authorization: BASIC,
          connection: 'close',
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(TOKEN_BODY),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(TOKEN_BODY);
  });
}

/** The pino lines (JSON) printed so far by the primary and its workers. */
function logLines(cli: CliProcess): Array<Record<string, unknown>> {
  return cli
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function requestLines(cli: CliProcess) {
  return logLines(cli).filter(
    (line) => line.msg === 'request' && (line.req as { url?: string } | undefined)?.url === '/oauth/token',
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

forEachDatabase('GATEHOUSE_WORKERS=2', (db) => {
  let port: number;
  let env: Record<string, string>;
  let cli: CliProcess;
  let primary: number;
  let workers: number[];

  before(async () => {
    port = await freePort();
    env = {
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_HOST: '127.0.0.1',
      GATEHOUSE_ISSUER: `http://127.0.0.1:${port}/`,
      GATEHOUSE_WORKERS: '2',
      GATEHOUSE_DATABASE_URL: db().url,
      GATEHOUSE_SECRET: TEST_SECRET,
      GATEHOUSE_BOOTSTRAP: writeTenantFile(acmeTenant()),
      GATEHOUSE_LOG_LEVEL: 'info',
    };
    cli = spawnCli(['start'], env);
    await waitFor(
      'the start banner',
      () => {
        if (cli.child.exitCode !== null)
          throw new Error(`gatehouse start exited ${cli.child.exitCode}:\n${cli.stderr()}`);
        return /Gatehouse is listening on 127\.0\.0\.1:\d+ \(2 workers\)/.test(cli.stdout());
      },
      30_000,
    );
    primary = cli.child.pid!;
    workers = childrenOf(primary);
  });
  after(() => killStarted());

  test('two worker processes, not the primary, serve the port', async () => {
    assert.equal(workers.length, 2, `children of the primary: ${workers.join(', ')}`);
    const answers: Answer[] = [];
    for (let i = 0; i < 40; i++) answers.push(await tokenRequest(port));
    for (const answer of answers) assert.equal(answer.status, 200, JSON.stringify(answer.body));
    // A worker writes its log line after the answer: wait until all 40 are on stdout.
    const lines = await waitFor('40 request log lines', () => {
      const found = requestLines(cli);
      return found.length >= 40 && found;
    });
    const pids = new Set(lines.map((line) => line.pid as number));
    assert.equal(pids.size, 2, `pids in request logs: ${[...pids].join(', ')}`);
    assert.ok(!pids.has(primary), 'the primary must not serve requests');
    assert.deepEqual(
      [...pids].sort((x, y) => x - y),
      workers,
    );
    for (const line of lines) assert.equal(line.status, 200);
  });

  test('every worker signs with the same key, the one in the database, and it verifies against the live JWKS', async () => {
    const seen = requestLines(cli).length;
    const tokens: string[] = [];
    for (let i = 0; i < 20; i++) {
      const answer = await tokenRequest(port);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      tokens.push(answer.body.access_token as string);
    }
    const served = await waitFor('20 more request log lines', () => {
      const lines = requestLines(cli).slice(seen);
      return lines.length >= 20 && new Set(lines.map((line) => line.pid));
    });
    assert.equal(served.size, 2, 'both workers issued some of these tokens');

    const kids = new Set(tokens.map((token) => decodeProtectedHeader(token).kid));
    assert.equal(kids.size, 1, `kids: ${[...kids].join(', ')}`);
    const [kid] = kids;
    const listed = await runCli(['keys', 'list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^${kid} +RS256 +current `, 'm'), `keys list:\n${listed.stdout}`);

    // The JWKS is answered by either worker: fetch it a few times, each on a connection of its own.
    for (let i = 0; i < 4; i++) {
      const response = await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`, {
        headers: { connection: 'close' },
      });
      assert.equal(response.status, 200);
      const jwks = createLocalJWKSet((await response.json()) as JSONWebKeySet);
      for (const token of tokens) {
        const { payload } = await jwtVerify(token, jwks, {
          issuer: env.GATEHOUSE_ISSUER,
          audience: API,
          algorithms: ['RS256'],
        });
        assert.equal(payload.sub, 'm2m-basic@clients');
      }
    }
  });

  test('a worker killed with SIGKILL is replaced and requests keep succeeding', async () => {
    assert.equal(workers.length, 2);
    const [victim, survivor] = workers;
    process.kill(victim, 'SIGKILL');
    const replaced = await waitFor('a new worker', () => {
      const now = childrenOf(primary);
      return now.length === 2 && !now.includes(victim) && now.includes(survivor) && now;
    });
    workers = replaced;
    const newcomer = replaced.find((pid) => pid !== survivor)!;
    assert.ok(alive(newcomer));
    await waitFor('the primary to log the death', () =>
      logLines(cli).some(
        (line) => line.msg === 'worker died; starting a new one' && line.worker === victim && line.pid === primary,
      ),
    );

    // The newcomer takes its share of connections once it listens; until then the survivor serves all.
    const seen = requestLines(cli).length;
    // A generous bound: on a loaded machine a new worker takes several seconds to build its app.
    await waitFor(
      'a request served by the new worker',
      async () => {
        const answer = await tokenRequest(port);
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        return requestLines(cli)
          .slice(seen)
          .some((line) => line.pid === newcomer);
      },
      30_000,
    );
    for (let i = 0; i < 10; i++) assert.equal((await tokenRequest(port)).status, 200);
    assert.deepEqual(childrenOf(primary), replaced);
  });

  test('SIGTERM drains: an in-flight request gets its answer, then the primary exits 0 and no worker is left', async () => {
    assert.equal(workers.length, 2);
    // The headers go first with Expect: 100-continue: the 100 answer proves that a worker has the
    // request (routed, waiting for its body) before the signal is sent.
    const socket: Socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write(
      [
        'POST /oauth/token HTTP/1.1',
        `host: 127.0.0.1:${port}`,
        `authorization: ${BASIC}`,
        'content-type: application/x-www-form-urlencoded',
        `content-length: ${Buffer.byteLength(TOKEN_BODY)}`,
        'expect: 100-continue',
        '',
        '',
      ].join('\r\n'),
    );
    await waitFor('100 Continue', () => /^HTTP\/1\.1 100 Continue\r\n\r\n/.test(received));

    process.kill(primary, 'SIGTERM');
    // Every worker has stopped listening (connections are refused) while ours still waits for its body.
    await waitFor('the port to close', () => refused(port));
    assert.equal(alive(primary), true, 'the primary waits for the draining worker');
    assert.ok(childrenOf(primary).length >= 1, 'the worker holding the request is still there');

    socket.write(TOKEN_BODY);
    await waitFor('the answer', () => /\r\n\r\n\{.*\}$/s.test(received));
    const [head, body] = received.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '').split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 200 /, received);
    const answer = JSON.parse(body);
    assert.equal(answer.token_type, 'Bearer');
    assert.equal(typeof answer.access_token, 'string');
    await closed;

    const exit = await cli.exited;
    assert.deepEqual(
      exit,
      { code: 0, signal: null },
      `stderr:\n${cli.stderr()}\nlog:\n${cli.stdout().split('\n').slice(-6).join('\n')}`,
    );
    for (const pid of workers) assert.equal(alive(pid), false, `worker ${pid} is still running`);
    assert.ok(logLines(cli).some((line) => line.msg === 'draining in-flight requests' && line.pid === primary));
  });

  test('a worker that cannot listen (port taken) stops the CLI with exit 1 and a message, no fork loop', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const failing = spawnCli(['start'], env);
      // A CLI that keeps forking workers would still run after 30 s: then it is killed and fails below.
      const timer = setTimeout(() => failing.child.kill('SIGKILL'), 30_000);
      const exit = await failing.exited;
      clearTimeout(timer);
      assert.deepEqual(exit, { code: 1, signal: null }, `stdout:\n${failing.stdout()}\nstderr:\n${failing.stderr()}`);
      assert.match(failing.stderr(), /^gatehouse: a worker failed to start/m);
      assert.match(failing.stderr(), /EADDRINUSE/);
      assert.doesNotMatch(failing.stdout(), /Gatehouse is listening/);
      assert.ok(
        !logLines(failing).some((line) => line.msg === 'worker died; starting a new one'),
        'no worker was replaced',
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
