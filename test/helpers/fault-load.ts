// Bounded load against several `gatehouse start` instances on one database, for the fault tests: sign-ups
// (/dbconnections/signup), sign-ins that record consent, code redemptions and refresh-token rotations, and
// Management API writes (users, clients). Every acknowledged answer is recorded; checkDatabase() then looks
// each one up with SQL: present exactly once and whole.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sha256 } from '../../src/crypto/hash.js';
import { type CliProcess, spawnCli, waitFor } from './cli.js';
import { API, CALLBACK, DB, PASSWORD, scopes, tenant, webClient } from './fixtures.js';
import { type Answer, authorizeUrl, CookieJarClient, pkcePair } from './http-client.js';
import { freePort, TEST_SECRET, writeTenantFile } from './server.js';

export const PARTNER_SECRET = 'partner-secret-0123456789-abcdefghijklmnopqrst';
const ADMIN_ID = 'fault-admin';
const ADMIN_SECRET = 'fault-admin-secret-0123456789-abcdefghijklmnop';

/** A third-party client (consent is asked) with rotating refresh tokens for an API that allows them. */
export function faultTenant() {
  return tenant({
    resource_servers: [{ identifier: API, name: 'Acme API', allow_offline_access: true, scopes: scopes('read:items') }],
    clients: [
      webClient({
        client_id: 'partner',
        client_secret: PARTNER_SECRET,
        name: 'Partner',
        token_endpoint_auth_method: 'client_secret_post',
        is_first_party: false,
        grant_types: ['authorization_code', 'refresh_token'],
        refresh_token: { rotation_type: 'rotating', expiration_type: 'non-expiring', leeway: 0 },
      }),
    ],
    users: [],
  });
}

export interface Instance {
  index: number;
  port: number;
  base: string;
  cli?: CliProcess;
}

/** N instances (one worker each) on one database, restartable on the same port. */
export class Cluster {
  readonly instances: Instance[] = [];
  private issuer = '';
  private tenantPath = '';

  constructor(
    private readonly databaseUrl: string,
    private readonly extraEnv: Record<string, string> = {},
    /** The issuer every instance shares; by default the first instance's address. */
    private readonly sharedIssuer?: string,
  ) {}

  async start(count: number): Promise<void> {
    this.tenantPath = writeTenantFile(faultTenant());
    for (let index = 0; index < count; index++) {
      const port = await freePort();
      this.instances.push({ index, port, base: `http://127.0.0.1:${port}` });
    }
    // One issuer for all, as behind a load balancer: tokens from any instance are good on every other.
    this.issuer = this.sharedIssuer ?? `${this.instances[0].base}/`;
    await Promise.all(this.instances.map((instance) => this.launch(instance)));
  }

  async launch(instance: Instance): Promise<void> {
    instance.cli = spawnCli(['start'], {
      GATEHOUSE_PORT: String(instance.port),
      GATEHOUSE_ISSUER: this.issuer,
      GATEHOUSE_DATABASE_URL: this.databaseUrl,
      GATEHOUSE_SECRET: TEST_SECRET,
      GATEHOUSE_WORKERS: '1',
      GATEHOUSE_BOOTSTRAP: this.tenantPath,
      GATEHOUSE_ADMIN_CLIENT_ID: ADMIN_ID,
      GATEHOUSE_ADMIN_CLIENT_SECRET: ADMIN_SECRET,
      GATEHOUSE_LOG_LEVEL: 'warn',
      ...this.extraEnv,
    });
    await instance.cli.waitForStdout(/Gatehouse is listening on/, 60_000);
  }

  /** SIGKILL to the instance's process group (the primary and its worker), as a crash or an OOM kill. */
  async kill(instance: Instance): Promise<void> {
    const cli = instance.cli;
    instance.cli = undefined;
    if (!cli) return;
    try {
      process.kill(-cli.child.pid!, 'SIGKILL');
    } catch {}
    await cli.exited;
  }

  async stop(): Promise<void> {
    await Promise.all(this.instances.map((instance) => this.kill(instance)));
  }

  get issuerUrl() {
    return this.issuer;
  }
}

/** What the load saw: acknowledged writes, and every answer's status (fetch failures as 0). */
export interface Ledger {
  signups: string[];
  managementUsers: string[];
  managementClients: { client_id: string; name: string }[];
  consents: string[];
  /** Acknowledged rotations: the token presented and the one that replaced it. */
  rotations: { from: string; to: string }[];
  /** Tokens from acknowledged code redemptions. */
  issued: string[];
  statuses: Map<number, number>;
  /** Answers that are neither 2xx/3xx, 4xx nor 503, or requests that got no answer in time: with what. */
  faults: string[];
}

export function newLedger(): Ledger {
  return {
    signups: [],
    managementUsers: [],
    managementClients: [],
    consents: [],
    rotations: [],
    issued: [],
    statuses: new Map(),
    faults: [],
  };
}

/** A request's bound: an answer slower than this counts as a hang. */
const HANG_MS = 30_000;

class Refused extends Error {}

export interface LoadOptions {
  /** Parallel clients. */
  clients: number;
  /** Rounds per client: a round is a sign-up, a consent, a redemption, rotations and two Management API writes. */
  rounds: number;
  rotations?: number;
  /** Rounds go on past `rounds` while this says so (e.g. until an outage is over). */
  more?: () => boolean;
  /** Called with every answer's status (0: no answer) and how long it took, for the soak's figures. */
  onAnswer?: (status: number, ms: number) => void;
}

/**
 * Runs the load: each client walks its rounds; a request that finds no instance listening (connection refused)
 * is sent to the next instance, any other failure abandons the step (its outcome unknown, so never retried:
 * only the server may write it once or not at all).
 */
export async function runLoad(cluster: Cluster, ledger: Ledger, options: LoadOptions): Promise<void> {
  let next = 0;
  const pick = () => cluster.instances[next++ % cluster.instances.length];
  const tag = randomBytes(4).toString('hex');

  /** fetch against some instance; retried on another while the connection is refused. */
  async function send(path: string, init: RequestInit, via?: Instance): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const instance = via ?? pick();
      let response: Response;
      const started = performance.now();
      try {
        response = await fetch(`${instance.base}${path}`, { ...init, signal: AbortSignal.timeout(HANG_MS) });
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        if ((error as Error).name === 'TimeoutError') ledger.faults.push(`hang: ${init.method ?? 'GET'} ${path}`);
        count(0);
        options.onAnswer?.(0, performance.now() - started);
        if (cause?.code === 'ECONNREFUSED' && !via && attempt < 50) {
          await sleep(20);
          continue;
        }
        throw new Refused(`${path}: ${(error as Error).message}`);
      }
      count(response.status);
      options.onAnswer?.(response.status, performance.now() - started);
      if (response.status >= 500 && response.status !== 503)
        ledger.faults.push(`${response.status} ${init.method ?? 'GET'} ${path}: ${await response.clone().text()}`);
      return response;
    }
  }
  const count = (status: number) => ledger.statuses.set(status, (ledger.statuses.get(status) ?? 0) + 1);
  const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const form = (body: Record<string, string>): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
  });

  let adminToken: string | undefined;
  async function managementToken(): Promise<string | undefined> {
    if (adminToken) return adminToken;
    const answer = await send(
      '/oauth/token',
      form({
        grant_type: 'client_credentials',
        client_id: ADMIN_ID,
        client_secret: ADMIN_SECRET,
        audience: `${cluster.issuerUrl}api/v2/`,
      }),
    );
    if (answer.status !== 200) return undefined;
    adminToken = ((await answer.json()) as { access_token: string }).access_token;
    return adminToken;
  }

  /** Sign in on the hosted pages of one instance and accept the consent: the code, or undefined. */
  async function consent(email: string): Promise<{ code: string; verifier: string } | undefined> {
    const instance = pick();
    const endpoint = { issuer: `${instance.base}/`, url: (path: string) => `${instance.base}${path}` };
    const browser = new CookieJarClient(endpoint);
    const pkce = pkcePair();
    const step = async (answer: Promise<Answer>) => {
      let got: Answer;
      const started = performance.now();
      try {
        got = await answer;
        options.onAnswer?.(got.status, performance.now() - started);
      } catch (error) {
        count(0);
        // The instance went away in the middle of the sign-in: the round is abandoned, outcome unknown.
        throw new Refused(`sign-in pages: ${(error as Error).message}`);
      }
      count(got.status);
      if (got.status >= 500 && got.status !== 503)
        ledger.faults.push(`${got.status} on the sign-in pages: ${got.text}`);
      return got;
    };
    const formOf = (page: Answer) => ({
      action: /<form[^>]*action="([^"]+)"/.exec(page.text)?.[1]?.replaceAll('&amp;', '&'),
      csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1],
    });
    const authorize = await step(
      browser.get(
        authorizeUrl(endpoint, {
          client_id: 'partner',
          redirect_uri: CALLBACK,
          response_type: 'code',
          scope: 'openid offline_access read:items',
          audience: API,
          code_challenge: pkce.challenge,
          code_challenge_method: 'S256',
        }),
      ),
    );
    if (authorize.status !== 302) return undefined;
    const login = await step(browser.get(authorize.location!));
    const loginForm = formOf(login);
    if (login.status !== 200 || !loginForm.action || !loginForm.csrf) return undefined;
    let answer = await step(browser.post(loginForm.action, { _csrf: loginForm.csrf, email, password: PASSWORD }));
    for (let hops = 0; hops < 5 && answer.status >= 300 && answer.status < 400; hops++) {
      const location = new URL(answer.location!, endpoint.issuer);
      if (location.origin !== instance.base) break;
      answer = await step(browser.get(location));
    }
    if (answer.status !== 200 || !answer.text.includes('action')) return undefined;
    const consentForm = formOf(answer);
    if (!consentForm.action || !consentForm.csrf) return undefined;
    answer = await step(browser.post(consentForm.action, { _csrf: consentForm.csrf, action: 'accept' }));
    for (let hops = 0; hops < 5 && answer.status >= 300 && answer.status < 400; hops++) {
      const location = new URL(answer.location!, endpoint.issuer);
      if (location.origin !== instance.base) {
        const code = location.searchParams.get('code');
        // The consent is acknowledged once the browser is sent back to the application with a code.
        if (code) ledger.consents.push(email);
        return code ? { code, verifier: pkce.verifier } : undefined;
      }
      answer = await step(browser.get(location));
    }
    return undefined;
  }

  async function round(client: number, n: number, rotations: number) {
    const email = `u${tag}-${client}-${n}@example.com`;
    const signup = await send(
      '/dbconnections/signup',
      json({ client_id: 'partner', email, password: PASSWORD, connection: DB }),
    );
    if (signup.status === 200) ledger.signups.push(email);
    const token = await managementToken();
    if (token) {
      const auth = { authorization: `Bearer ${token}` };
      const managed = `m${tag}-${client}-${n}@example.com`;
      const user = await send('/api/v2/users', json({ connection: DB, email: managed, password: PASSWORD }, auth));
      if (user.status === 201) ledger.managementUsers.push(managed);
      const name = `c${tag}-${client}-${n}`;
      const created = await send('/api/v2/clients', json({ name, app_type: 'regular_web' }, auth));
      if (created.status === 201)
        ledger.managementClients.push({ client_id: ((await created.json()) as { client_id: string }).client_id, name });
    }
    if (signup.status !== 200) return;
    const granted = await consent(email);
    if (!granted) return;
    const redeemed = await send(
      '/oauth/token',
      form({
        grant_type: 'authorization_code',
        code: granted.code,
        redirect_uri: CALLBACK,
        code_verifier: granted.verifier,
        client_id: 'partner',
        client_secret: PARTNER_SECRET,
      }),
    );
    if (redeemed.status !== 200) return;
    let refresh = ((await redeemed.json()) as { refresh_token: string }).refresh_token;
    ledger.issued.push(refresh);
    for (let i = 0; i < rotations; i++) {
      const rotated = await send(
        '/oauth/token',
        form({
          grant_type: 'refresh_token',
          refresh_token: refresh,
          client_id: 'partner',
          client_secret: PARTNER_SECRET,
        }),
      );
      // An unanswered rotation may have happened: presenting the old token again would be a reuse.
      if (rotated.status !== 200) return;
      const to = ((await rotated.json()) as { refresh_token: string }).refresh_token;
      ledger.rotations.push({ from: refresh, to });
      refresh = to;
    }
  }

  await Promise.all(
    Array.from({ length: options.clients }, async (_, client) => {
      for (let n = 0; n < options.rounds || options.more?.(); n++) {
        try {
          await round(client, n, options.rotations ?? 3);
        } catch (error) {
          if (!(error instanceof Refused)) throw error;
        }
      }
    }),
  );
}

/** Every acknowledged write present exactly once and whole, looked up with SQL. */
export async function checkDatabase(databaseUrl: string, ledger: Ledger): Promise<{ checked: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let checked = 0;
  try {
    const rows = async (text: string, values: unknown[]) => (await client.query(text, values)).rows;
    for (const email of [...ledger.signups, ...ledger.managementUsers]) {
      const users = await rows('select user_id, connection, password_hash from users where email = $1', [email]);
      assert.equal(users.length, 1, `user ${email}: ${users.length} rows`);
      assert.equal(users[0].connection, DB);
      assert.ok(users[0].password_hash, `user ${email} has no password`);
      checked++;
    }
    for (const { client_id, name } of ledger.managementClients) {
      const clients = await rows('select client_id, client_secret from clients where name = $1', [name]);
      assert.equal(clients.length, 1, `client ${name}: ${clients.length} rows`);
      assert.equal(clients[0].client_id, client_id);
      assert.ok(clients[0].client_secret, `client ${name} has no secret`);
      checked++;
    }
    for (const email of ledger.consents) {
      const consents = await rows(
        'select c.scope from consents c join users u on u.user_id = c.user_id where u.email = $1 and c.client_id = $2',
        [email, 'partner'],
      );
      assert.equal(consents.length, 1, `consent of ${email}: ${consents.length} rows`);
      assert.match(consents[0].scope, /read:items/);
      checked++;
    }
    for (const token of ledger.issued) {
      const found = await rows('select 1 from refresh_tokens where token_hash = $1', [sha256(token)]);
      assert.equal(found.length, 1, 'a redeemed refresh token is missing');
      checked++;
    }
    for (const { from, to } of ledger.rotations) {
      const successor = await rows('select parent_hash from refresh_tokens where token_hash = $1', [sha256(to)]);
      assert.equal(successor.length, 1, 'the successor of an acknowledged rotation is missing');
      assert.equal(successor[0].parent_hash, sha256(from), 'a successor points at the wrong parent');
      const parent = await rows('select rotated_at from refresh_tokens where token_hash = $1', [sha256(from)]);
      assert.equal(parent.length, 1);
      assert.notEqual(parent[0].rotated_at, null, 'an acknowledged rotation left its parent unrotated');
      checked++;
    }
  } finally {
    await client.end();
  }
  return { checked };
}

/** Polls /healthz of an instance until it answers `status`; resolves with the milliseconds it took. */
export async function healthzBecomes(instance: Instance, status: number, timeoutMs = 60_000): Promise<number> {
  const started = Date.now();
  await waitFor(
    `/healthz ${status} on ${instance.base}`,
    async () => {
      try {
        const answer = await fetch(`${instance.base}/healthz`, { signal: AbortSignal.timeout(HANG_MS) });
        return answer.status === status;
      } catch {
        return false;
      }
    },
    timeoutMs,
  );
  return Date.now() - started;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function summary(ledger: Ledger): string {
  const statuses = [...ledger.statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`);
  return (
    `acknowledged: ${ledger.signups.length} sign-ups, ${ledger.consents.length} consents, ${ledger.issued.length} ` +
    `redemptions, ${ledger.rotations.length} rotations, ${ledger.managementUsers.length} API users, ` +
    `${ledger.managementClients.length} API clients; answers ${statuses.join(' ')}`
  );
}
