// Shared by the HTTPS suites: start the real CLI serving HTTPS, read the certificate a server presents, and
// run test/https/sdk-client.js in a child process that trusts only the given CA (NODE_EXTRA_CA_CERTS).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import type { SdkInput } from './sdk-client.js';

const sdkClientPath = fileURLToPath(new URL('./sdk-client.js', import.meta.url));

/** Runs one scenario of sdk-client.ts with NODE_EXTRA_CA_CERTS=caPath; its JSON answer, or a failed assertion. */
export async function runSdk(scenario: string, input: SdkInput, caPath: string): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, [sdkClientPath, scenario, JSON.stringify(input)], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: caPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, `${scenario} failed:\n${err}`);
  return JSON.parse(out) as Record<string, unknown>;
}

/** The certificate a TLS server presents for `servername` (checked against `ca`), and the connection's ALPN. */
export function presentedCertificate(port: number, ca: string, servername = 'localhost'): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(raw));
    });
    socket.once('error', reject);
  });
}
