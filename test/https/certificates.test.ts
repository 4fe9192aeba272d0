// The certificates of the built-in HTTPS, through the real CLI: the local CA made once and kept, its server
// certificate issued again when GATEHOUSE_TLS_HOSTS changes; a certificate one brings, read again on SIGHUP by
// every worker while an open connection keeps working.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createLocalCa, issueServerCertificate } from '../../src/crypto/local-ca.js';
import { killAllStartedChildren, spawnCli, waitFor } from '../helpers/cli.js';
import { freePort } from '../helpers/server.js';
import { presentedCertificate } from './https.js';

after(killAllStartedChildren);

async function startCli(args: string[], env: Record<string, string>) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-db-'));
  const cli = spawnCli(['start', ...args], {
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_DATABASE_URL: `sqlite:${join(env.DATA_DIR ?? dir, 'gatehouse.db')}`,
    GATEHOUSE_LOG_LEVEL: 'warn',
    ...env,
  });
  await cli.waitForStdout(/Gatehouse is listening/);
  return { cli, port };
}

describe('GATEHOUSE_TLS=auto: the local certificate authority', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-data-'));
  const caPath = join(dataDir, 'gatehouse-ca.pem');

  test('beside the database: made once, kept across starts; the server certificate is issued again when the hosts change', async () => {
    const first = await startCli(['--https', '--workers', '1'], { DATA_DIR: dataDir });
    const ca = readFileSync(caPath, 'utf8');
    const served = await presentedCertificate(first.port, ca);
    assert.deepEqual(served.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.ok(served.checkIssued(new X509Certificate(ca)));
    await first.cli.stop();

    const again = await startCli(['--https', '--workers', '1'], { DATA_DIR: dataDir });
    assert.equal(readFileSync(caPath, 'utf8'), ca, 'the same CA');
    assert.equal(
      (await presentedCertificate(again.port, ca)).serialNumber,
      served.serialNumber,
      'the same certificate',
    );
    await again.cli.stop();

    const more = await startCli(['--https', '--workers', '1'], {
      DATA_DIR: dataDir,
      GATEHOUSE_TLS_HOSTS: 'auth.acme.test',
    });
    assert.equal(readFileSync(caPath, 'utf8'), ca, 'the same CA');
    const renewed = await presentedCertificate(more.port, ca, 'auth.acme.test');
    assert.notEqual(renewed.serialNumber, served.serialNumber);
    assert.equal(
      renewed.subjectAltName,
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:auth.acme.test',
    );
    await more.cli.stop();
  });
});

describe('GATEHOUSE_TLS_CERT and GATEHOUSE_TLS_KEY: a certificate one brings', () => {
  test('served by every worker; after SIGHUP new connections get the new certificate and an open one keeps working', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cert-'));
    const ca = await createLocalCa(Date.now(), 'test');
    const write = async () => {
      const issued = await issueServerCertificate(ca, ['localhost', '127.0.0.1'], Date.now());
      writeFileSync(join(dir, 'cert.pem'), issued.cert);
      writeFileSync(join(dir, 'key.pem'), issued.key, { mode: 0o600 });
      return new X509Certificate(issued.cert).serialNumber;
    };
    const firstSerial = await write();
    const { cli, port } = await startCli([], {
      GATEHOUSE_WORKERS: '2',
      GATEHOUSE_TLS_CERT: join(dir, 'cert.pem'),
      GATEHOUSE_TLS_KEY: join(dir, 'key.pem'),
    });
    assert.match(cli.stdout(), new RegExp(`issuer: +https://localhost:${port}/\n`));
    for (let i = 0; i < 4; i++) assert.equal((await presentedCertificate(port, ca.cert)).serialNumber, firstSerial);

    // A keep-alive connection opened before the reload.
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: ca.cert });
    const fetchStatus = () =>
      new Promise<{ status: number; socketSerial: string; localPort: number }>((resolve, reject) => {
        const req = request(`https://localhost:${port}/.well-known/jwks.json`, { agent }, (response) => {
          const socket = response.socket as TLSSocket;
          // Read once per connection: the agent keeps the socket, and with it what its handshake presented.
          const serial =
            (socket as TLSSocket & { servedSerial?: string }).servedSerial ?? socket.getPeerCertificate().serialNumber;
          (socket as TLSSocket & { servedSerial?: string }).servedSerial = serial;
          const seen = { socketSerial: serial, localPort: socket.localPort! };
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode!, ...seen }));
        });
        req.once('error', reject).end();
      });
    const before = await fetchStatus();
    assert.deepEqual({ ...before, localPort: 0 }, { status: 200, socketSerial: firstSerial, localPort: 0 });

    const secondSerial = await write();
    process.kill(cli.child.pid!, 'SIGHUP');
    await waitFor(
      'the new certificate',
      async () => (await presentedCertificate(port, ca.cert)).serialNumber === secondSerial,
    );
    // Round robin across the two workers: each of them serves the new one.
    for (let i = 0; i < 4; i++) assert.equal((await presentedCertificate(port, ca.cert)).serialNumber, secondSerial);
    assert.deepEqual(await fetchStatus(), before, 'the connection opened before SIGHUP is still served');
    agent.destroy();
    const exit = await cli.stop();
    assert.deepEqual(exit, { code: 0, signal: null });
  });
});
