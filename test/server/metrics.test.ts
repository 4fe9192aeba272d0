// GET /metrics of `gatehouse start` with two workers (the real CLI): whichever worker answers, the figures are
// the instance's (both workers' counts added up), in Prometheus' text format; on the main port only with the
// bearer token of GATEHOUSE_METRICS_TOKEN, and on GATEHOUSE_METRICS_PORT without one; without either setting
// the main port answers 404.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { forEachDatabase } from '../helpers/each-database.js';
import { acmeTenant, API, SECRET_BASIC } from '../helpers/fixtures.js';
import { type CliProcess, killAllStartedChildren, spawnCli } from '../helpers/cli.js';
import { freePort, startGatehouse, TEST_SECRET, writeTenantFile } from '../helpers/server.js';

const BASIC = `Basic ${Buffer.from(`m2m-basic:${encodeURIComponent(SECRET_BASIC)}`).toString('base64')}`;
const TOKEN_BODY = new URLSearchParams({ grant_type: 'client_credentials', audience: API }).toString();
const METRICS_TOKEN = 'metrics-token-0123456789-abcdefghijklmnop';
const TOKENS = 20;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request on a connection of its own (no keep-alive): each is a new accept, handed to either worker. */
function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        agent: false,
        headers: { connection: 'close', ...options.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The value of one sample line (`name{labels} value`) of a Prometheus text answer. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

after(() => killAllStartedChildren());

forEachDatabase('/metrics of two workers', (db, kind) => {
  let cli: CliProcess;
  let port: number;
  let metricsPort: number;
  before(async () => {
    port = await freePort();
    metricsPort = await freePort();
    cli = spawnCli(['start'], {
      GATEHOUSE_PORT: String(port),
      GATEHOUSE_HOST: '127.0.0.1',
      GATEHOUSE_ISSUER: `http://127.0.0.1:${port}/`,
      GATEHOUSE_WORKERS: '2',
      GATEHOUSE_DATABASE_URL: db().url,
      GATEHOUSE_SECRET: TEST_SECRET,
      GATEHOUSE_BOOTSTRAP: writeTenantFile(acmeTenant()),
      GATEHOUSE_LOG_LEVEL: 'warn',
      GATEHOUSE_METRICS_TOKEN: METRICS_TOKEN,
      GATEHOUSE_METRICS_PORT: String(metricsPort),
    });
    await cli.waitForStdout(/Gatehouse is listening on 127\.0\.0\.1:\d+ \(2 workers\)/);
  });
  after(() => cli?.stop());

  const scrape = () => send(port, '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });

  test('on the main port: 401 without the bearer token or with a wrong one, 200 with it', async () => {
    const without = await send(port, '/metrics');
    assert.equal(without.status, 401);
    assert.match(String(without.headers['www-authenticate']), /^Bearer /);
    assert.doesNotMatch(without.text, /gatehouse_/);
    const wrong = await send(port, '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
    assert.equal(wrong.status, 401);
    const basic = await send(port, '/metrics', { headers: { authorization: BASIC } });
    assert.equal(basic.status, 401);
    const right = await scrape();
    assert.equal(right.status, 200);
    assert.match(String(right.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(right.text, /^process_cpu_user_seconds_total \d/m, "Node's default process metrics");
  });

  test(`${TOKENS} token requests spread over both workers count ${TOKENS} in every scrape, whichever worker answers it`, async () => {
    const route = 'gatehouse_http_request_duration_seconds_count{method="POST",route="/oauth/token",status="200"}';
    const issued = 'gatehouse_tokens_issued_total{grant_type="client_credentials",alg="RS256"}';
    const before = await scrape();
    const routeBefore = sample(before.text, route) ?? 0;
    const issuedBefore = sample(before.text, issued) ?? 0;
    const headers = { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' };
    for (let i = 0; i < TOKENS; i++) {
      const answer = await send(port, '/oauth/token', { method: 'POST', headers, body: TOKEN_BODY });
      assert.equal(answer.status, 200, answer.text);
    }
    // Each scrape is a new connection, so the two workers take turns answering them.
    for (let i = 0; i < 4; i++) {
      const { text } = await scrape();
      assert.equal(sample(text, issued), issuedBefore + TOKENS, text);
      assert.equal(sample(text, route), routeBefore + TOKENS);
      assert.ok((sample(text, 'gatehouse_audit_events_total{type="seccft"}') ?? 0) >= TOKENS);
      assert.ok((sample(text, 'gatehouse_cache_lookups_total{cache="clients",result="hit"}') ?? 0) > 0);
      assert.ok((sample(text, 'gatehouse_db_query_duration_seconds_count{result="ok"}') ?? 0) > 0);
      assert.equal(sample(text, 'gatehouse_outbox_messages{channel="email"}'), 0);
      assert.equal(sample(text, 'gatehouse_worker_heartbeat_kills_total'), 0, "the primary's own metrics");
      if (kind.name === 'PostgreSQL')
        assert.ok((sample(text, 'gatehouse_db_pool_connections{state="total"}') ?? 0) >= 1);
    }
  });

  test('GATEHOUSE_METRICS_PORT answers /metrics without a token, on loopback; anything else there is 404', async () => {
    const answer = await send(metricsPort, '/metrics');
    assert.equal(answer.status, 200);
    assert.ok(
      (sample(answer.text, 'gatehouse_tokens_issued_total{grant_type="client_credentials",alg="RS256"}') ?? 0) >=
        TOKENS,
    );
    assert.equal((await send(metricsPort, '/healthz')).status, 404);
  });
});

test('without GATEHOUSE_METRICS_TOKEN /metrics is 404 on the main port', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-metrics-'));
  const server = await startGatehouse({ databaseUrl: `sqlite:${join(dir, 'gatehouse.db')}` });
  try {
    const port = Number(new URL(server.issuer).port);
    const answer = await send(port, '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(answer.status, 404);
    assert.doesNotMatch(answer.text, /gatehouse_/);
  } finally {
    await server.close();
  }
});

test('a bad GATEHOUSE_TRUST_PROXY, metrics token or metrics port (variable or flag) stops `gatehouse start` with one clear line', async () => {
  const cases: [string[], Record<string, string>, string][] = [
    [
      [],
      { GATEHOUSE_TRUST_PROXY: '10.0.0.1, proxy.local' },
      'GATEHOUSE_TRUST_PROXY takes IP addresses and CIDR ranges (10.0.0.0/8), got "proxy.local"',
    ],
    [
      ['--trust-proxy', '10.0.0.0/33'],
      {},
      'GATEHOUSE_TRUST_PROXY takes IP addresses and CIDR ranges (10.0.0.0/8), got "10.0.0.0/33"',
    ],
    [['--metrics-token=short'], {}, 'GATEHOUSE_METRICS_TOKEN must be at least 32 characters, without spaces'],
    [
      [],
      { GATEHOUSE_PORT: '4000', GATEHOUSE_METRICS_PORT: '4000' },
      'GATEHOUSE_METRICS_PORT must differ from GATEHOUSE_PORT',
    ],
  ];
  for (const [flags, env, message] of cases) {
    const cli = spawnCli(['start', ...flags], { GATEHOUSE_DATABASE_URL: 'sqlite:./data/never-opened.db', ...env });
    assert.equal((await cli.exited).code, 1);
    assert.equal(cli.stderr(), `gatehouse: ${message}\n`);
  }
});
