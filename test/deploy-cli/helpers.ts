// Auth0's deploy CLI (`a0deploy`, the auth0-deploy-cli package) run as a child process against a real
// `gatehouse start --https`, trusting Gatehouse's local CA through NODE_EXTRA_CA_CERTS as a user would.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { stripVTControlCharacters } from 'node:util';
import { dirname, join, relative } from 'node:path';
import { adminEnv, ADMIN_ID, ADMIN_SECRET } from '../helpers/admin-api.js';
import { type CliProcess, cliEnv, repoRoot, spawnCli } from '../helpers/cli.js';
import { freePort, TEST_SECRET } from '../helpers/server.js';

const require = createRequire(import.meta.url);
const deployCliRoot = dirname(require.resolve('auth0-deploy-cli/package.json'));
const a0deploy = join(
  deployCliRoot,
  (require('auth0-deploy-cli/package.json') as { bin: { a0deploy: string } }).bin.a0deploy,
);

export const fixtureDir = join(repoRoot, 'test/fixtures/deploy-cli/acme');

export interface HttpsGatehouse {
  cli: CliProcess;
  domain: string;
  ca: string;
  /** A deploy-cli config file for the operator's client. */
  config: string;
  /** A Management API GET with the operator's token, read as JSON. */
  get(path: string): Promise<unknown>;
}

function httpsJson(
  url: string,
  ca: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
) {
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, ca }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** `gatehouse start --https` with one worker and the operator's client (every Management API scope). */
export async function startHttpsGatehouse(databaseUrl: string): Promise<HttpsGatehouse> {
  const port = await freePort();
  const tlsDir = mkdtempSync(join(tmpdir(), 'gatehouse-deploycli-tls-'));
  const cli = spawnCli(['start', '--https'], {
    ...adminEnv,
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_WORKERS: '1',
    GATEHOUSE_DATABASE_URL: databaseUrl,
    GATEHOUSE_SECRET: TEST_SECRET,
    GATEHOUSE_TLS_DIR: tlsDir,
    GATEHOUSE_LOG_LEVEL: 'warn',
  });
  // The banner, with the CA's trust lines, is printed once the server listens.
  const caPath = (await cli.waitForStdout(/NODE_EXTRA_CA_CERTS=(\S+)/))[1];
  const ca = readFileSync(caPath, 'utf8');
  const domain = `localhost:${port}`;
  const config = join(mkdtempSync(join(tmpdir(), 'gatehouse-deploycli-')), 'config.json');
  writeFileSync(
    config,
    JSON.stringify({ AUTH0_DOMAIN: domain, AUTH0_CLIENT_ID: ADMIN_ID, AUTH0_CLIENT_SECRET: ADMIN_SECRET }),
  );
  const token = await httpsJson(`https://${domain}/oauth/token`, ca, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'client_credentials',
      client_id: ADMIN_ID,
      client_secret: ADMIN_SECRET,
      audience: `https://${domain}/api/v2/`,
    }),
  });
  assert.equal(token.status, 200, JSON.stringify(token.body));
  const bearer = (token.body as { access_token: string }).access_token;
  return {
    cli,
    domain,
    ca: caPath,
    config,
    async get(path) {
      const answer = await httpsJson(`https://${domain}/api/v2${path}`, ca, {
        headers: { authorization: `Bearer ${bearer}` },
      });
      assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
  };
}

/** Runs `a0deploy <args>`; fails the test with its output unless it exits 0 without an error line. */
export async function a0(server: HttpsGatehouse, args: readonly string[]): Promise<string> {
  const child = spawn(process.execPath, [a0deploy, ...args, '-c', server.config], {
    cwd: repoRoot,
    env: cliEnv({ NODE_EXTRA_CA_CERTS: server.ca, NO_COLOR: '1', FORCE_COLOR: '0' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, `a0deploy ${args.join(' ')} exited ${code}:\n${output}`);
  // The logger's error level ("- error: …"), not warnings that quote an error.
  assert.doesNotMatch(stripVTControlCharacters(output), /- error:/, `a0deploy ${args.join(' ')}:\n${output}`);
  return output;
}

export const exportYaml = (server: HttpsGatehouse, folder: string) =>
  a0(server, ['export', '--format', 'yaml', '--output_folder', folder]);
export const exportDirectory = (server: HttpsGatehouse, folder: string) =>
  a0(server, ['export', '--format', 'directory', '--output_folder', folder]);
export const importFrom = (server: HttpsGatehouse, input: string) => a0(server, ['import', '--input_file', input]);

/** Every file under a folder, by relative path, with its text. */
export function readTree(folder: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(folder, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(folder);
  return files;
}

export const tempFolder = (name: string) => join(mkdtempSync(join(tmpdir(), 'gatehouse-a0deploy-')), name);

/**
 * deploy-cli's own schema gives a database connection's options a default (disable_self_service_change_password:
 * false) that a connection created without it does not carry, and an import writes it: after the first round
 * trip the export has it. This is the one change a round trip makes, in either format.
 */
export function withDeployCliDefaults(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(files).map(([path, text]) => [
      path,
      path.endsWith('.yaml')
        ? text.replace('    options: {}\n', '    options:\n      disable_self_service_change_password: false\n')
        : text.replace('"options": {}', '"options": {\n    "disable_self_service_change_password": false\n  }'),
    ]),
  );
}
