// Slow clients against one server: a request must arrive whole within its headers and request timeouts
// (answered 408 and closed), a connection that never sends a byte and an idle keep-alive connection are
// closed too, normal requests are answered while a slow-loris holds connections open, and past
// GATEHOUSE_MAX_CONNECTIONS a new connection gets 503 while the open ones keep being served.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse } from '../helpers/server.js';
import { waitFor } from '../helpers/cli.js';

interface Client {
  socket: Socket;
  received(): string;
  isClosed(): boolean;
}

async function open(port: number, send = ''): Promise<Client> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  let done = false;
  socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => {});
  socket.once('close', () => (done = true));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  if (send) socket.write(send);
  return { socket, received: () => text, isClosed: () => done };
}

/** Resolves when `check` holds, polling every 50 ms; fails after `timeoutMs`. */
/** How long each step may take before the test gives up. */
const STEP_MS = 20_000;

const healthz = (port: number, connection = 'keep-alive') =>
  `GET /healthz HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: ${connection}\r\n\r\n`;

forEachDatabase('slow clients: headers, request and keep-alive timeouts', (db) => {
  let server: RunningGatehouse;
  let port: number;
  const clients: Client[] = [];
  before(async () => {
    server = await startGatehouse({
      databaseUrl: db().url,
      env: { GATEHOUSE_HEADERS_TIMEOUT: '1', GATEHOUSE_REQUEST_TIMEOUT: '2', GATEHOUSE_KEEP_ALIVE_TIMEOUT: '1' },
    });
    port = server.config.port;
  });
  after(async () => {
    for (const client of clients) client.socket.destroy();
    await server?.close();
  });

  test('half-sent headers and bodies get 408 and are closed; silent and idle keep-alive connections are closed; others are served meanwhile', async () => {
    const partialHeaders = await Promise.all(
      Array.from({ length: 10 }, () => open(port, `GET /healthz HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`)),
    );
    const partialBodies = await Promise.all(
      Array.from({ length: 10 }, () =>
        open(
          port,
          `POST /oauth/token HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 100\r\n\r\ngrant_type=`,
        ),
      ),
    );
    const silent = await Promise.all(Array.from({ length: 10 }, () => open(port)));
    const keptAlive = await Promise.all(Array.from({ length: 5 }, () => open(port, healthz(port))));
    clients.push(...partialHeaders, ...partialBodies, ...silent, ...keptAlive);
    await waitFor(
      'the keep-alive answers',
      () => keptAlive.every((client) => /^HTTP\/1\.1 200 /.test(client.received())),
      STEP_MS,
    );

    // Served while the slow ones are open.
    const response = await fetch(server.url('/healthz'));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });

    await waitFor('every slow connection to be closed', () => clients.every((client) => client.isClosed()), STEP_MS);
    for (const client of [...partialHeaders, ...partialBodies]) assert.match(client.received(), /^HTTP\/1\.1 408 /);
    // Node counts the headers timeout from the connection's start: a silent one gets the 408 too.
    for (const client of silent) assert.match(client.received(), /^(HTTP\/1\.1 408 [\s\S]*)?$/);
  });
});

forEachDatabase('GATEHOUSE_MAX_CONNECTIONS', (db) => {
  const MAX = 8;
  let server: RunningGatehouse;
  let port: number;
  const clients: Client[] = [];
  before(async () => {
    server = await startGatehouse({
      databaseUrl: db().url,
      env: { GATEHOUSE_MAX_CONNECTIONS: String(MAX), GATEHOUSE_KEEP_ALIVE_TIMEOUT: '600' },
    });
    port = server.config.port;
  });
  after(async () => {
    for (const client of clients) client.socket.destroy();
    await server?.close();
  });

  test('past the cap a new connection gets 503 and is closed; the open ones keep being served; freed places are taken again', async () => {
    const held = await Promise.all(Array.from({ length: MAX }, () => open(port, healthz(port))));
    clients.push(...held);
    await waitFor(
      'the first answers',
      () => held.every((client) => /^HTTP\/1\.1 200 /.test(client.received())),
      STEP_MS,
    );

    const refused = await Promise.all(Array.from({ length: 5 }, () => open(port, healthz(port))));
    clients.push(...refused);
    await waitFor('the refused connections to be closed', () => refused.every((client) => client.isClosed()), STEP_MS);
    for (const client of refused) assert.doesNotMatch(client.received(), /^HTTP\/1\.1 200 /);
    assert.ok(
      refused.some((client) => /^HTTP\/1\.1 503 /.test(client.received())),
      refused.map((client) => client.received()).join('|'),
    );

    // A held connection asks again on the same socket and is answered.
    const before = held[0].received().length;
    held[0].socket.write(healthz(port));
    await waitFor(
      'the second answer on a held connection',
      () => /HTTP\/1\.1 200 /.test(held[0].received().slice(before)),
      STEP_MS,
    );

    // Once some close, new connections are served again.
    for (const client of held.slice(0, 3)) client.socket.destroy();
    await waitFor(
      'three held connections to be closed',
      () => held.slice(0, 3).every((client) => client.isClosed()),
      STEP_MS,
    );
    const response = await fetch(server.url('/healthz'), { headers: { connection: 'close' } });
    assert.equal(response.status, 200);
  });
});
