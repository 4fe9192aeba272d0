// The configuration caches of the token path (src/store/cache.ts, the Keyring) keep the rule of docs/operations.md
// "Caches, and why they stay correct": a write is read back at once by the process that made it, and every other
// instance on the same database sees it within about a second. Two in-process instances share one database; B writes, A reads.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import pino from 'pino';
import { buildApp, type Gatehouse } from '../../src/app.js';
import { randomId } from '../../src/crypto/random.js';
import { newClient } from '../../src/tenant-file/defaults.js';
import type { SigningAlg } from '../../src/store/types.js';
import { waitFor } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { freePort, type RunningGatehouse, startGatehouse, TEST_SECRET, testConfig } from '../helpers/server.js';
import { acmeTenant, API, SECRET_BASIC, SECRET_POST } from '../helpers/fixtures.js';

/** Other instances must see a write within this time (the caches re-check the database once a second). */
const WITHIN_MS = 2000;

const cliPath = fileURLToPath(new URL('../../src/cli/index.js', import.meta.url));
const started = new Set<ChildProcess>();
after(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** `node dist/src/cli/index.js …` to completion, with only the GATEHOUSE_* variables given here. */
function runCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GATEHOUSE_')));
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [cliPath, ...args],
      { env: { ...clean, ...env }, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
    started.add(child);
  });
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

interface TokenParams {
  clientId: string;
  secret: string;
  audience: string;
  /** client_secret_basic (the default) or client_secret_post. */
  post?: boolean;
}

type Target = RunningGatehouse | Gatehouse;

/** A client credentials request, over HTTP to a listening instance or injected into one that does not listen. */
async function token(target: Target, params: TokenParams): Promise<Answer> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', audience: params.audience });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (params.post) {
    form.set('client_id', params.clientId);
    form.set('client_secret', params.secret);
  } else {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(params.clientId)}:${encodeURIComponent(params.secret)}`).toString('base64')}`;
  }
  if ('url' in target) {
    const response = await fetch(target.url('/oauth/token'), { method: 'POST', headers, body: form });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }
  const response = await target.app.inject({ method: 'POST', url: '/oauth/token', headers, payload: form.toString() });
  return { status: response.statusCode, body: response.json() };
}

async function ok(target: Target, params: TokenParams): Promise<Record<string, unknown>> {
  const answer = await token(target, params);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body;
}

/**
 * Polls `check` every 100 ms until it holds; fails if no attempt started within `WITHIN_MS` of the call
 * (the write's commit) saw it. Returns what the successful check returned.
 */
async function within<T>(what: string, check: () => Promise<T | false>): Promise<T> {
  const deadline = Date.now() + WITHIN_MS;
  let last: unknown;
  for (;;) {
    const value = await check().catch((error: unknown) => {
      last = error;
      return false as const;
    });
    if (value !== false) return value;
    if (Date.now() + 100 > deadline)
      throw new Error(`${what}: not seen within ${WITHIN_MS} ms${last ? `: ${String(last)}` : ''}`);
    await sleep(100);
  }
}

const basic = { clientId: 'm2m-basic', secret: SECRET_BASIC };

forEachDatabase('config caches across instances', (db, kind) => {
  let a: RunningGatehouse;
  let b: RunningGatehouse;
  before(async () => {
    a = await startGatehouse({ databaseUrl: db().url, tenant: acmeTenant() });
    // The second start applies the same tenant file again: idempotent.
    b = await startGatehouse({ databaseUrl: db().url, tenant: acmeTenant() });
  });
  after(async () => {
    await a?.close();
    await b?.close();
  });

  test("a client grant's new scope: at once on the writing instance, within 2 s on the other", async () => {
    const params = { ...basic, audience: API };
    // Warm both instances' caches (client, API, grant).
    assert.equal((await ok(a, params)).scope, 'read:items write:items delete:items');
    assert.equal((await ok(b, params)).scope, 'read:items write:items delete:items');

    await b.gatehouse.store.transaction('tenant', async (tx) => {
      const grant = await tx.clientGrants.find('m2m-basic', API);
      assert.ok(grant);
      await tx.clientGrants.update(grant.id, { scope: ['read:items'] });
    });
    assert.equal((await ok(b, params)).scope, 'read:items', 'read-your-writes in the writing process');
    await within('the new scope on instance A', async () => (await ok(a, params)).scope === 'read:items');
    // And it stays.
    assert.equal((await ok(a, params)).scope, 'read:items');
  });

  test('a client secret change: the old secret is refused and the new one accepted, at once on B, within 2 s on A', async () => {
    const NEW_SECRET = 'rotated-post-secret-0123456789-abcdefghijklmnop';
    const old = { clientId: 'm2m-post', secret: SECRET_POST, audience: API, post: true };
    const renewed = { ...old, secret: NEW_SECRET };
    await ok(a, old);
    await ok(b, old);
    assert.equal((await token(a, renewed)).status, 401);

    await b.gatehouse.store.transaction('tenant', (tx) =>
      tx.clients.update('m2m-post', { sealed_client_secret: b.gatehouse.box.seal(NEW_SECRET) }),
    );
    const oldOnB = await token(b, old);
    assert.equal(oldOnB.status, 401);
    assert.equal(oldOnB.body.error, 'invalid_client');
    await ok(b, renewed);

    await within('the new secret on instance A', async () => (await token(a, renewed)).status === 200);
    const oldOnA = await token(a, old);
    assert.equal(oldOnA.status, 401);
    assert.equal(oldOnA.body.error, 'invalid_client');
  });

  test("an API's token_lifetime: at once on B, within 2 s on A", async () => {
    const params = { ...basic, audience: 'https://short.acme.test' };
    assert.equal((await ok(a, params)).expires_in, 60);
    assert.equal((await ok(b, params)).expires_in, 60);

    await b.gatehouse.store.transaction('tenant', async (tx) => {
      const api = await tx.resourceServers.getByIdentifier('https://short.acme.test');
      assert.ok(api);
      await tx.resourceServers.update(api.id, { token_lifetime: 120 });
    });
    assert.equal((await ok(b, params)).expires_in, 120);
    const body = await within('the new token_lifetime on instance A', async () => {
      const answer = await ok(a, params);
      return answer.expires_in === 120 && answer;
    });
    const { payload } = await jwtVerify(body.access_token as string, createLocalJWKSet(await jwks(a)), {
      issuer: a.issuer,
      audience: 'https://short.acme.test',
    });
    assert.equal(payload.exp! - payload.iat!, 120);
  });

  test('`gatehouse keys rotate` in another process: both instances sign with the new current keys within 2 s, older tokens still verify', async () => {
    const audiences: Array<[SigningAlg, string]> = [
      ['RS256', API],
      ['ES256', 'https://es256.acme.test'],
    ];
    const currentKid = async (alg: SigningAlg) =>
      (await b.gatehouse.store.signingKeys.listPublished()).find((key) => key.alg === alg && key.status === 'current')!
        .kid;
    const kidOf = (body: Record<string, unknown>) => decodeProtectedHeader(body.access_token as string).kid;

    const earlier: Array<{ alg: SigningAlg; audience: string; token: string; issuer: string }> = [];
    for (const [alg, audience] of audiences) {
      const kid = await currentKid(alg);
      for (const server of [a, b]) {
        const body = await ok(server, { ...basic, audience });
        assert.equal(kidOf(body), kid);
        earlier.push({ alg, audience, token: body.access_token as string, issuer: server.issuer });
      }
    }

    const rotated = await runCli(['keys', 'rotate'], {
      GATEHOUSE_DATABASE_URL: db().url,
      GATEHOUSE_SECRET: TEST_SECRET,
    });
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /^Rotated\. Now signing with: /m);

    for (const [alg, audience] of audiences) {
      const kid = await currentKid(alg);
      assert.ok(!earlier.some((t) => decodeProtectedHeader(t.token).kid === kid), `${alg}: a new current key`);
      assert.ok(rotated.stdout.includes(kid));
      for (const server of [a, b]) {
        await within(
          `the new ${alg} key on ${server === a ? 'A' : 'B'}`,
          async () => kidOf(await ok(server, { ...basic, audience })) === kid,
        );
      }
    }

    // The previous keys stay published: tokens from before the rotation verify against either JWKS.
    for (const server of [a, b]) {
      const keys = createLocalJWKSet(await jwks(server));
      for (const old of earlier) {
        const { payload, protectedHeader } = await jwtVerify(old.token, keys, {
          issuer: old.issuer,
          audience: old.audience,
        });
        assert.equal(protectedHeader.alg, old.alg);
        assert.equal(payload.sub, 'm2m-basic@clients');
      }
      for (const [alg, audience] of audiences) {
        const fresh = await ok(server, { ...basic, audience });
        const { protectedHeader } = await jwtVerify(fresh.access_token as string, keys, {
          issuer: server.issuer,
          audience,
        });
        assert.equal(protectedHeader.alg, alg);
      }
    }
  });

  test('an unknown client_id is not cached: a client created afterwards through B is accepted on A within 2 s', async () => {
    const late = {
      clientId: 'late-m2m',
      secret: 'late-secret-0123456789-abcdefghijklmnopqr',
      audience: API,
      post: true,
    };
    const unknown = await token(a, late);
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error, 'invalid_client');
    assert.equal((await token(b, late)).status, 401);

    await b.gatehouse.store.transaction('tenant', async (tx) => {
      await tx.clients.insert({
        ...newClient(late.clientId, 'non_interactive', 'client_secret_post'),
        sealed_client_secret: b.gatehouse.box.seal(late.secret),
      });
      await tx.clientGrants.insert({
        id: randomId('cgr_'),
        client_id: late.clientId,
        audience: API,
        scope: ['read:items'],
      });
    });
    assert.equal((await ok(b, late)).scope, 'read:items');
    const body = await within('the new client on instance A', async () => {
      const answer = await token(a, late);
      return answer.status === 200 && answer.body;
    });
    assert.equal(body.scope, 'read:items');
  });

  // The tests above allow up to 2 s and would also pass with no cache at all. With clocks that move only
  // when told to, what the caches do is deterministic: a reader serves what it cached until its
  // re-check interval (one second) has passed, the writer reads its own write at once, and a miss is
  // never cached.
  describe('with stopped clocks', () => {
    let readerTime = Date.now();
    const writerTime = Date.now();
    let reader: Gatehouse;
    let writer: Gatehouse;
    before(async () => {
      const port = await freePort();
      const build = (now: () => number) =>
        buildApp(testConfig({ databaseUrl: db().url, tenant: acmeTenant() }, port), {
          logger: pino({ level: 'silent' }),
          now,
        });
      reader = await build(() => readerTime);
      writer = await build(() => writerTime);
    });
    after(async () => {
      await reader?.close();
      await writer?.close();
    });

    // On PostgreSQL the writer's commit is also NOTIFYed to the reader, which then drops its caches without
    // waiting for its second; SQLite has only the counter check, compared at most once per second.
    const readerWaits = kind.name === 'SQLite';
    test(
      readerWaits
        ? 'the reader keeps its cached grant and API until a second has passed; the writer sees its write at once'
        : 'the reader, notified of the commit, re-reads at once with its clock stopped; so does the writer',
      async () => {
        const audience = 'https://eddsa.acme.test';
        const params = { ...basic, audience };
        for (const instance of [reader, writer]) {
          const body = await ok(instance, params);
          assert.equal(body.scope, 'read:items');
          assert.equal(body.expires_in, 86400);
        }

        await writer.store.transaction('tenant', async (tx) => {
          const grant = await tx.clientGrants.find('m2m-basic', audience);
          const api = await tx.resourceServers.getByIdentifier(audience);
          assert.ok(grant && api);
          await tx.clientGrants.update(grant.id, { scope: [] });
          await tx.resourceServers.update(api.id, { token_lifetime: 300 });
        });

        const own = await ok(writer, params);
        assert.deepEqual([own.scope, own.expires_in], ['', 300], 'the writer reads its own write');
        const answer = async () => {
          const body = await ok(reader, params);
          return [body.scope, body.expires_in];
        };
        if (!readerWaits) {
          // The notification arrives on the reader's listening connection, soon after the commit.
          await waitFor('the reader to be notified', async () => (await answer())[1] === 300);
          assert.deepEqual(await answer(), ['', 300]);
          return;
        }
        assert.deepEqual(await answer(), ['read:items', 86400], 'the reader answers from its cache');
        readerTime += 999;
        assert.deepEqual(await answer(), ['read:items', 86400]);
        readerTime += 1;
        assert.deepEqual(await answer(), ['', 300], 'a second later the reader has re-read');
      },
    );

    test('a client the reader looked up in vain is found as soon as it exists (misses are not cached)', async () => {
      const ghost = {
        clientId: 'ghost-m2m',
        secret: 'ghost-secret-0123456789-abcdefghijklmnopq',
        audience: API,
        post: true,
      };
      // Warm the reader's version check so that, with its clock stopped, it will not re-check below.
      await ok(reader, { ...basic, audience: API });
      assert.equal((await token(reader, ghost)).status, 401);
      await writer.store.transaction('tenant', async (tx) => {
        await tx.clients.insert({
          ...newClient(ghost.clientId, 'non_interactive', 'client_secret_post'),
          sealed_client_secret: writer.box.seal(ghost.secret),
        });
        await tx.clientGrants.insert({
          id: randomId('cgr_'),
          client_id: ghost.clientId,
          audience: API,
          scope: ['read:items'],
        });
      });
      assert.equal((await ok(reader, ghost)).scope, 'read:items');
    });
  });
});

async function jwks(server: RunningGatehouse): Promise<JSONWebKeySet> {
  const response = await fetch(server.url('/.well-known/jwks.json'));
  assert.equal(response.status, 200);
  return (await response.json()) as JSONWebKeySet;
}
