// The request id: in the x-request-id response header and on every log line of the request (reqId). It is new
// for each request, or the one a trusted proxy (GATEHOUSE_TRUST_PROXY) sent in x-request-id; from any other peer
// that header is ignored, as is X-Forwarded-For, and the log's remoteAddress is the socket's.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { captureLogs } from '../helpers/log-capture.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** GET from a loopback address of our choice (Linux routes all of 127/8 to this host). */
function get(server: RunningGatehouse, path: string, localAddress: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; id: string | undefined }>((resolve, reject) => {
    const req = request(server.url(path), { localAddress, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, id: res.headers['x-request-id'] as string | undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

function startWith(env: Record<string, string>) {
  const logs = captureLogs('info');
  const databaseUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'gatehouse-reqid-')), 'gatehouse.db')}`;
  return {
    logs,
    started: startGatehouse({ databaseUrl, env: { GATEHOUSE_LOG_LEVEL: 'info', ...env }, logger: logs.logger }),
  };
}

/** The request line of the request with this id, once the answer has been logged. */
async function requestLine(lines: Record<string, unknown>[], id: string) {
  for (let i = 0; i < 100; i++) {
    const line = lines.find((l) => l.msg === 'request' && l.reqId === id);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no request line with reqId ${id}`);
}

describe('request ids with GATEHOUSE_TRUST_PROXY=127.0.0.2', () => {
  let server: RunningGatehouse;
  let lines: Record<string, unknown>[];
  before(async () => {
    const { logs, started } = startWith({ GATEHOUSE_TRUST_PROXY: '127.0.0.2, 10.0.0.0/8' });
    lines = logs.lines;
    server = await started;
  });
  after(() => server?.close());

  test('each answer has a new id in x-request-id, and its log line carries the same one', async () => {
    const first = await get(server, '/livez', '127.0.0.1');
    const second = await get(server, '/nowhere', '127.0.0.1');
    assert.match(first.id!, UUID);
    assert.match(second.id!, UUID);
    assert.notEqual(first.id, second.id);
    assert.equal((await requestLine(lines, first.id!)).status, 200);
    assert.equal((await requestLine(lines, second.id!)).status, 404);
  });

  test("a trusted proxy's x-request-id and X-Forwarded-For are used", async () => {
    const headers = { 'x-request-id': 'lb-7f3a-0001', 'x-forwarded-for': '198.51.100.7' };
    const answer = await get(server, '/livez', '127.0.0.2', headers);
    assert.equal(answer.id, 'lb-7f3a-0001');
    const line = await requestLine(lines, 'lb-7f3a-0001');
    assert.equal((line.req as { remoteAddress: string }).remoteAddress, '198.51.100.7');
  });

  test('from a trusted proxy, an x-request-id unfit for a log line or header is replaced', async () => {
    const answer = await get(server, '/livez', '127.0.0.2', { 'x-request-id': 'two words' });
    assert.match(answer.id!, UUID);
  });

  test('from any other peer both headers are ignored', async () => {
    const headers = { 'x-request-id': 'spoofed-0001', 'x-forwarded-for': '198.51.100.7' };
    const answer = await get(server, '/livez', '127.0.0.3', headers);
    assert.match(answer.id!, UUID);
    const line = await requestLine(lines, answer.id!);
    assert.equal((line.req as { remoteAddress: string }).remoteAddress, '127.0.0.3');
  });
});

test('without GATEHOUSE_TRUST_PROXY no peer is trusted', async () => {
  const { logs, started } = startWith({});
  const server = await started;
  try {
    const headers = { 'x-request-id': 'lb-7f3a-0002', 'x-forwarded-for': '198.51.100.7' };
    const answer = await get(server, '/livez', '127.0.0.1', headers);
    assert.match(answer.id!, UUID);
    const line = await requestLine(logs.lines, answer.id!);
    assert.equal((line.req as { remoteAddress: string }).remoteAddress, '127.0.0.1');
  } finally {
    await server.close();
  }
});
