// Gatehouse as the benchmark runs it: the built CLI (`node dist/src/cli/index.js start`), a fresh SQLite
// database in a temporary folder, and a generated tenant file declaring the benchmark's client and APIs.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './http.js';
import { type RunningServer, startServer } from './servers.js';
import { type Alg, algs, SCOPE, type TokenTarget, type Workload } from './workload.js';

export interface GatehouseSetup {
  /** The folder holding Gatehouse's dist/src/cli/index.js. */
  root: string;
  dir: string;
  logDir: string;
  workers: number;
  workload: Workload;
  /** The tenant file to apply (default: the token benchmark's, tenantFile(workload)). */
  tenant?: object;
  /** Names the tenant file, database and log (default `gatehouse`: gatehouse.db, gatehouse.log). */
  name?: string;
  /** More GATEHOUSE_* settings (the audit benchmark's GATEHOUSE_AUDIT_LOG). */
  env?: Record<string, string>;
}

export interface Gatehouse {
  /** `http://127.0.0.1:PORT/` */
  issuer: string;
  target: TokenTarget;
  /**
   * Starts a server on the database (created by the first start); `nodeArgs` go before the script, e.g.
   * --cpu-prof. `timeoutMs` bounds the wait for /healthz (a tenant file with many users takes a while).
   */
  start(nodeArgs?: string[], timeoutMs?: number): Promise<RunningServer>;
}

export function tenantFile(workload: Workload) {
  return {
    tenant: { friendly_name: 'Benchmark' },
    resource_servers: algs.map((alg) => ({
      identifier: workload.audiences[alg],
      name: `Benchmark ${alg} API`,
      signing_alg: alg,
      scopes: [{ value: SCOPE, description: 'Read items' }],
    })),
    clients: [
      {
        client_id: workload.clientId,
        client_secret: workload.clientSecret,
        name: 'Benchmark M2M',
        app_type: 'non_interactive',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
      },
    ],
    client_grants: algs.map((alg) => ({
      client_id: workload.clientId,
      audience: workload.audiences[alg],
      scope: [SCOPE],
    })),
  };
}

export async function setUpGatehouse(setup: GatehouseSetup): Promise<Gatehouse> {
  const name = setup.name ?? 'gatehouse';
  const tenantPath = join(setup.dir, `${name}-tenant.json`);
  writeFileSync(tenantPath, JSON.stringify(setup.tenant ?? tenantFile(setup.workload), null, 2));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}/`;
  // Only the benchmark's GATEHOUSE_* settings: none inherited from the shell running it.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GATEHOUSE_')));
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    NODE_ENV: 'production',
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_ISSUER: issuer,
    GATEHOUSE_DATABASE_URL: `sqlite:${join(setup.dir, `${name}.db`)}`,
    GATEHOUSE_SECRET: randomBytes(32).toString('base64'),
    GATEHOUSE_BOOTSTRAP: tenantPath,
    GATEHOUSE_WORKERS: String(setup.workers),
    GATEHOUSE_LOG_LEVEL: 'warn',
    ...setup.env,
  };
  const body = (alg: Alg) =>
    new URLSearchParams({ grant_type: 'client_credentials', audience: setup.workload.audiences[alg] }).toString();
  return {
    issuer,
    target: {
      name: 'gatehouse',
      tokenUrl: `${issuer}oauth/token`,
      body: { RS256: body('RS256'), ES256: body('ES256') },
    },
    start: (nodeArgs = [], timeoutMs) =>
      startServer({
        name,
        args: [...nodeArgs, join(setup.root, 'dist/src/cli/index.js'), 'start'],
        env,
        readyUrl: `${issuer}healthz`,
        logPath: join(setup.logDir, `${name}.log`),
        timeoutMs,
      }),
  };
}
