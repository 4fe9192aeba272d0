// The server the hostile-input suites fuzz: the token suites' tenant (clients of every kind, Alice, an API with
// offline access) plus an e-mail passwordless connection and the operator's Management API client; Alice's
// tokens and a Management token, so that a generated request may carry a valid credential among bad ones.
import { ADMIN_SECRET, LIMITED_SECRET, startWithAdmin, type AdminApi } from '../helpers/admin-api.js';
import { after, before, describe } from 'node:test';
import { databaseKinds, type TestDatabase } from '../helpers/databases.js';
import { OTHER_SECRET, PASSWORD, WEB_SECRET } from '../helpers/fixtures.js';
import { basicAuth, CookieJarClient } from '../helpers/http-client.js';
import { CLIENT_SECRET, signInAlice, tokensTenant, type UserTokens, userTokens } from '../helpers/user-tokens.js';
import { assertSafe, describeRequest, type RawRequest, send, type Shape } from './harness.js';

export const CLIENT_SECRETS = [CLIENT_SECRET, WEB_SECRET, OTHER_SECRET, ADMIN_SECRET, LIMITED_SECRET];

export interface FuzzTarget {
  it: AdminApi;
  port: number;
  tokens: UserTokens;
  /** A signed-in browser (Alice's session cookie). */
  browser: CookieJarClient;
  /** Good Authorization values: Alice's access token, a Management token, a client's Basic pair. */
  authorizations: string[];
  /** Sends a request and asserts the property of its answer. */
  check(request: RawRequest, shape: Shape, options?: { clientSecretsShown?: boolean }): Promise<void>;
  close(): Promise<void>;
}

function fuzzTenant() {
  const file = tokensTenant();
  return {
    ...file,
    connections: [...file.connections, { name: 'email', strategy: 'email', enabled_clients: ['public', 'static'] }],
  };
}

export async function startFuzzTarget(db: TestDatabase): Promise<FuzzTarget> {
  const tenant = fuzzTenant();
  const it = await startWithAdmin(db, tenant);
  const browser = new CookieJarClient(it.server);
  await signInAlice(browser);
  const tokens = await userTokens(it.server, browser, 'static');
  const registered = [
    ...tenant.clients.flatMap((c) => [
      ...((c.callbacks as string[]) ?? []),
      ...((c.allowed_logout_urls as string[]) ?? []),
    ]),
    ...((tenant.tenant.allowed_logout_urls as string[] | undefined) ?? []),
  ];
  const port = Number(new URL(it.server.issuer).port);
  return {
    it,
    port,
    tokens,
    browser,
    authorizations: [`Bearer ${tokens.access_token}`, `Bearer ${it.adminToken}`, basicAuth('basic', CLIENT_SECRET)],
    async check(request, shape, options = {}) {
      const answer = await send(port, request);
      const secrets = [PASSWORD, ...(options.clientSecretsShown ? [] : CLIENT_SECRETS)];
      assertSafe(answer, { shape, issuer: it.server.issuer, registered, secrets }, describeRequest(request));
    },
    close: () => it.server.close(),
  };
}

/**
 * A suite on SQLite with one fuzz target (the PostgreSQL property is in postgres.test.ts: the answers do not
 * depend on the database but for the driver's messages, and one property there catches those).
 */
export function onSqlite(title: string, body: (target: () => FuzzTarget) => void) {
  const sqlite = databaseKinds.find((kind) => kind.name === 'SQLite')!;
  describe(`${title} on SQLite`, () => {
    let db: TestDatabase | undefined;
    let target: FuzzTarget | undefined;
    before(async () => {
      db = await sqlite.create();
      target = await startFuzzTarget(db);
    });
    after(async () => {
      await target?.close();
      await db?.drop();
    });
    body(() => target!);
  });
}
