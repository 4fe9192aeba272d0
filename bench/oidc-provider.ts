// oidc-provider as the benchmark runs it: bench/oidc-provider-server.ts with N cluster workers, an RSA
// and a P-256 signing key generated here, and the same client and APIs as Gatehouse's tenant file.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './http.js';
import type { OidcProviderBenchConfig } from './oidc-provider-server.js';
import { type RunningServer, startServer } from './servers.js';
import { type Alg, algs, SCOPE, type TokenTarget, type Workload } from './workload.js';

const program = fileURLToPath(new URL('./oidc-provider-server.js', import.meta.url));

export interface OidcProvider {
  target: TokenTarget;
  start(): Promise<RunningServer>;
}

function privateJwk(alg: Alg) {
  const { privateKey } =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid: `bench-${alg.toLowerCase()}`, alg, use: 'sig' };
}

export async function setUpOidcProvider(options: {
  dir: string;
  logDir: string;
  workers: number;
  workload: Workload;
}): Promise<OidcProvider> {
  const { workload } = options;
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const config: OidcProviderBenchConfig = {
    port,
    issuer,
    workers: options.workers,
    clientId: workload.clientId,
    clientSecret: workload.clientSecret,
    scope: SCOPE,
    resources: Object.fromEntries(algs.map((alg) => [workload.audiences[alg], alg])),
    jwks: { keys: algs.map(privateJwk) },
    cookieKey: randomBytes(32).toString('base64url'),
  };
  const configPath = join(options.dir, 'oidc-provider.json');
  writeFileSync(configPath, JSON.stringify(config));
  const body = (alg: Alg) =>
    new URLSearchParams({
      grant_type: 'client_credentials',
      resource: workload.audiences[alg],
      scope: SCOPE,
    }).toString();
  return {
    target: {
      name: 'oidc-provider',
      tokenUrl: `${issuer}/token`,
      body: { RS256: body('RS256'), ES256: body('ES256') },
    },
    start: () =>
      startServer({
        name: 'oidc-provider',
        args: [program, configPath],
        env: { ...process.env, NODE_ENV: 'production' },
        readyUrl: `${issuer}/.well-known/openid-configuration`,
        logPath: join(options.logDir, 'oidc-provider.log'),
      }),
  };
}
