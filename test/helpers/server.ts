// Starts a real Gatehouse on a free loopback port, the way `npm start` does but in-process.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { buildApp, type Gatehouse } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { serializers } from '../../src/http/log.js';

export const TEST_SECRET = 'test-master-secret-0123456789-abcdefghijklmnop';

/**
 * A port that was free a moment ago, for servers whose URL must be known before they listen (the issuer).
 * Drawn at random below Linux's ephemeral range (32768–60999): a port the kernel hands out for listen(0)
 * or for the source of an outgoing connection, which the parallel test files make thousands of, could be
 * taken again before our server binds it.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

export interface RunningGatehouse {
  issuer: string;
  config: Config;
  gatehouse: Gatehouse;
  url(path: string): string;
  close(): Promise<void>;
}

export interface StartOptions {
  databaseUrl: string;
  /** A tenant file: an object is written as JSON; a string is written as is, named by `tenantFileName`. */
  tenant?: object | string;
  tenantFileName?: string;
  env?: Record<string, string>;
  port?: number;
  /** The server's clock (ms since the epoch), for tests that move time forward; Date.now otherwise. */
  now?: () => number;
  /** Where the server logs (a pino logger at the test's level otherwise). */
  logger?: pino.Logger;
}

export function writeTenantFile(tenant: object | string, name = 'tenant.json'): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gatehouse-tenant-')), name);
  writeFileSync(path, typeof tenant === 'string' ? tenant : JSON.stringify(tenant, null, 2));
  return path;
}

export function testConfig(options: StartOptions, port: number): Config {
  const env: Record<string, string> = {
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_ISSUER: `http://127.0.0.1:${port}/`,
    GATEHOUSE_DATABASE_URL: options.databaseUrl,
    GATEHOUSE_SECRET: TEST_SECRET,
    GATEHOUSE_LOG_LEVEL: process.env.GATEHOUSE_TEST_LOG_LEVEL ?? 'silent',
    ...(options.tenant !== undefined
      ? { GATEHOUSE_BOOTSTRAP: writeTenantFile(options.tenant, options.tenantFileName) }
      : {}),
    ...options.env,
  };
  return loadConfig(env);
}

export async function startGatehouse(options: StartOptions): Promise<RunningGatehouse> {
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const config = testConfig(options, port);
    const gatehouse = await buildApp(config, {
      logger: options.logger ?? pino({ level: config.logLevel, serializers }),
      now: options.now,
    });
    try {
      await gatehouse.app.listen({ port, host: '127.0.0.1' });
      return running(config, gatehouse);
    } catch (error) {
      // Close what was built (its database pool would keep the test process alive), and with a port of our
      // own choosing, try another: one taken between freePort() and listen() is no failure of the server.
      await gatehouse.close();
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port !== undefined || attempt >= 5)
        throw error;
    }
  }
}

function running(config: Config, gatehouse: Gatehouse): RunningGatehouse {
  return {
    issuer: config.issuer,
    config,
    gatehouse,
    url: (path) => new URL(path.replace(/^\//, ''), config.issuer).toString(),
    close: () => gatehouse.close(),
  };
}
