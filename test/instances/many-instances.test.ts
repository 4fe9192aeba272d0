// Three `gatehouse start` instances (the real CLI, one with two workers) on one PostgreSQL database, with the same
// master secret and issuer, as behind a load balancer: each step of a sign-in lands on another instance (authorize,
// the login page, the resume, the code, the refresh); a replayed code and a used refresh token are refused by the
// others; of 20 parallel redemptions of one refresh token spread over the three, exactly one succeeds; a key rotated
// through one instance's Management API signs every instance's tokens and verifies against every instance's JWKS;
// a client's callback added, removed and the client deleted through one instance take effect on the others;
// brute-force failures spread over the three add up to one block. How soon another instance sees a change is logged,
// with the PostgreSQL notification and without it (a change written with SQL, counter bumped but no NOTIFY, as a
// notification that was missed); nothing asserts how fast, only that it is seen within a generous bound.
// PostgreSQL only: several machines share one PostgreSQL database; SQLite is for one machine.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import pg from 'pg';
import { adminEnv, apiFetch, managementToken } from '../helpers/admin-api.js';
import { type CliProcess, killAllStartedChildren, spawnCli, waitFor } from '../helpers/cli.js';
import { databaseKinds, type TestDatabase } from '../helpers/databases.js';
import { CALLBACK, PASSWORD, users } from '../helpers/fixtures.js';
import {
  alertText,
  authorizeUrl,
  CookieJarClient,
  type Endpoint,
  getUserinfo,
  openPage,
  pageForm,
  pkcePair,
  postToken,
  submitLogin,
} from '../helpers/http-client.js';
import { freePort, TEST_SECRET, writeTenantFile } from '../helpers/server.js';
import { clientCredentials, FULL_SCOPE, OFFLINE_API, tokensTenant } from '../helpers/user-tokens.js';

const postgres = databaseKinds.find((kind) => kind.name === 'PostgreSQL')!;
const NEW_CALLBACK = 'http://localhost:8090/added';
const SQL_CALLBACK = 'http://localhost:8091/written-with-sql';
const BLOCKED =
  'Your account has been blocked after multiple consecutive login attempts. Reset your password or contact support.';

interface Instance extends Endpoint {
  name: string;
  cli: CliProcess;
}

/** Starts `gatehouse start` on `port` with the shared issuer; resolves once its banner says it listens. */
async function startInstance(
  name: string,
  port: number,
  issuer: string,
  env: Record<string, string>,
  workers = 1,
): Promise<Instance> {
  const cli = spawnCli(['start'], {
    GATEHOUSE_PORT: String(port),
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_ISSUER: issuer,
    GATEHOUSE_WORKERS: String(workers),
    GATEHOUSE_SECRET: TEST_SECRET,
    GATEHOUSE_LOG_LEVEL: 'warn',
    ...env,
  });
  await cli.waitForStdout(new RegExp(`Gatehouse is listening on 127\\.0\\.0\\.1:${port}`));
  const base = `http://127.0.0.1:${port}/`;
  return { name, cli, issuer, url: (path) => new URL(path, base).toString() };
}

/** Exchanges a refresh token of the rotating client at an instance. */
const refresh = (instance: Instance, refreshToken: string) =>
  postToken(instance, { grant_type: 'refresh_token', refresh_token: refreshToken, ...clientCredentials('rotating') });

/** Polls `check` every 10 ms until it holds (at most `timeoutMs`); returns how long that took. */
async function timeUntil(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<number> {
  const started = performance.now();
  await waitFor(what, check, timeoutMs);
  return Math.round(performance.now() - started);
}

describe('many instances on one PostgreSQL database', { skip: postgres.skip }, () => {
  let db: TestDatabase;
  let instances: Instance[];
  let issuer: string;
  let adminToken: string;
  /** The instance the browser's next request goes to: a load balancer that the test steers. */
  let target = 0;
  const balanced: Endpoint = {
    get issuer() {
      return instances[target].url('/');
    },
    url: (path) => instances[target].url(path),
  };
  const browser = new CookieJarClient(balanced);
  const on = (i: number) => {
    target = i % instances.length;
    return browser;
  };

  before(async () => {
    db = await postgres.create();
    const ports = [await freePort(), await freePort(), await freePort()];
    // One issuer for all, as behind a load balancer: the one the first instance listens on.
    issuer = `http://127.0.0.1:${ports[0]}/`;
    const database = { GATEHOUSE_DATABASE_URL: db.url };
    const tenantFile = writeTenantFile(tokensTenant());
    const first = await startInstance(
      'A',
      ports[0],
      issuer,
      { ...database, ...adminEnv, GATEHOUSE_BOOTSTRAP: tenantFile },
      2,
    );
    // The others serve what the database holds: no tenant file, so they cannot undo the Management API's writes.
    const others = await Promise.all([
      startInstance('B', ports[1], issuer, database),
      startInstance('C', ports[2], issuer, database),
    ]);
    instances = [first, ...others];
    adminToken = await managementToken({ issuer, url: instances[1].url }, undefined, undefined, `${issuer}api/v2/`);
  });
  after(async () => {
    // SIGTERM first (a clean exit closes the database connections), SIGKILL to what is left after 10 s.
    const timer = setTimeout(killAllStartedChildren, 10_000);
    await Promise.all((instances ?? []).map((instance) => instance.cli.stop()));
    clearTimeout(timer);
    killAllStartedChildren();
    await db?.drop();
  });

  /** Alice's sign-in with each step on the next instance; returns the code's redemption and its answer. */
  async function signInAcrossInstances(step: { n: number }) {
    const pkce = pkcePair();
    const params = {
      client_id: 'rotating',
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: FULL_SCOPE,
      audience: OFFLINE_API,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    };
    const authorized = await on(step.n++).get(authorizeUrl(balanced, params));
    const { form } = await openPage(on(step.n++), authorized, '/u/login');
    const posted = await submitLogin(on(step.n++), form, users.alice.email);
    assert.equal(posted.status, 303, posted.text);
    let answer = posted;
    while (answer.location && !answer.location.startsWith(CALLBACK)) answer = await on(step.n++).get(answer.location);
    const code = new URL(answer.location ?? '', CALLBACK).searchParams.get('code');
    assert.ok(code, `no code: ${answer.status} ${answer.text}`);
    const redemption = {
      grant_type: 'authorization_code',
      code,
      redirect_uri: CALLBACK,
      code_verifier: pkce.verifier,
      ...clientCredentials('rotating'),
    };
    const redeemed = await postToken(instances[step.n++ % 3], redemption);
    assert.equal(redeemed.status, 200, JSON.stringify(redeemed.body));
    return { redemption, tokens: redeemed.body as Record<string, string> };
  }

  /** A fresh refresh token of the rotating client, through the live session (any instance). */
  async function freshRefreshToken(i: number): Promise<string> {
    const pkce = pkcePair();
    const callback = await on(i).get(
      authorizeUrl(balanced, {
        client_id: 'rotating',
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope: FULL_SCOPE,
        audience: OFFLINE_API,
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      }),
    );
    assert.equal(callback.status, 302, callback.text);
    const code = new URL(callback.location!).searchParams.get('code')!;
    const answer = await postToken(instances[(i + 1) % 3], {
      grant_type: 'authorization_code',
      code,
      redirect_uri: CALLBACK,
      code_verifier: pkce.verifier,
      ...clientCredentials('rotating'),
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.refresh_token as string;
  }

  const jwksOf = async (instance: Instance) =>
    createLocalJWKSet((await (await fetch(instance.url('/.well-known/jwks.json'))).json()) as JSONWebKeySet);

  test('a sign-in whose every step lands on the next instance (authorize, page, form, resume, code, refresh); replays refused on all', async () => {
    const step = { n: 0 };
    const { redemption, tokens } = await signInAcrossInstances(step);
    for (const instance of instances) {
      const info = await getUserinfo(instance, `Bearer ${tokens.access_token}`);
      assert.equal(info.status, 200, `${instance.name}: ${info.text}`);
      assert.equal(info.body.sub, users.alice.user_id);
      await jwtVerify(tokens.id_token, await jwksOf(instance), { issuer, audience: 'rotating' });
    }
    const refreshed = await refresh(instances[step.n++ % 3], tokens.refresh_token);
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.notEqual(refreshed.body.refresh_token, tokens.refresh_token, 'the rotating client gets a new refresh token');
    for (const instance of instances) {
      const reuse = await refresh(instance, tokens.refresh_token);
      assert.equal(reuse.status, 403, `${instance.name}: ${JSON.stringify(reuse.body)}`);
      assert.equal(reuse.body.error, 'invalid_grant');
    }
    // The code again, on each instance: redeemed once, refused everywhere after (RFC 6749 §4.1.2; the replay
    // also revokes what the code gave, which is why it comes last).
    for (const instance of instances) {
      const replay = await postToken(instance, redemption);
      assert.equal(replay.status, 403, `${instance.name}: ${JSON.stringify(replay.body)}`);
      assert.equal(replay.body.error, 'invalid_grant');
    }
  });

  test('20 parallel redemptions of one refresh token spread over the three instances: exactly one succeeds', async () => {
    const refreshToken = await freshRefreshToken(1);
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => refresh(instances[i % 3], refreshToken)));
    const statuses = answers.map((answer) => answer.status);
    assert.equal(statuses.filter((status) => status === 200).length, 1, statuses.join(' '));
    for (const answer of answers.filter((a) => a.status !== 200)) {
      assert.equal(answer.status, 403, JSON.stringify(answer.body));
      assert.equal(answer.body.error, 'invalid_grant');
    }
  });

  test('a key rotated through one instance signs every instance’s tokens, which verify against every JWKS', async (t) => {
    const tokenFrom = (instance: Instance) =>
      managementToken({ issuer, url: instance.url }, undefined, undefined, `${issuer}api/v2/`);
    const rotated = await apiFetch(instances[1], '/keys/signing/rotate', adminToken, { method: 'POST' });
    assert.equal(rotated.status, 201, await rotated.clone().text());
    const { kid } = (await rotated.json()) as { kid: string };
    for (const instance of instances) {
      const ms = await timeUntil(
        `${instance.name} to sign with the new key`,
        async () => decodeProtectedHeader(await tokenFrom(instance)).kid === kid,
      );
      t.diagnostic(`key rotated on B, signing with it on ${instance.name} after ${ms} ms`);
    }
    for (const signer of instances) {
      const token = await tokenFrom(signer);
      assert.equal(decodeProtectedHeader(token).kid, kid);
      for (const verifier of instances) {
        await jwtVerify(token, await jwksOf(verifier), { issuer, audience: `${issuer}api/v2/` });
      }
    }
    adminToken = await tokenFrom(instances[0]);
  });

  test('a client changed through one instance changes on the others: callback added, removed, client deleted', async (t) => {
    const accepts = async (i: number, redirectUri: string) => {
      const answer = await on(i).get(
        authorizeUrl(balanced, {
          client_id: 'static',
          redirect_uri: redirectUri,
          response_type: 'code',
          scope: 'openid',
        }),
      );
      assert.ok(answer.status < 500, `${instances[i].name}: ${answer.status} ${answer.text}`);
      return answer.status === 302 && (answer.location ?? '').startsWith(redirectUri);
    };
    const patch = async (i: number, body: unknown) => {
      const answer = await apiFetch(instances[i], '/clients/static', adminToken, { method: 'PATCH', body });
      assert.equal(answer.status, 200, await answer.text());
    };
    // Alice has a session from the first test: /authorize answers with a code at once when the callback is allowed.
    for (let i = 0; i < 3; i++) assert.equal(await accepts(i, NEW_CALLBACK), false);

    await patch(2, { callbacks: [CALLBACK, NEW_CALLBACK] });
    for (const i of [0, 1]) {
      const ms = await timeUntil(`${instances[i].name} to accept the added callback`, () => accepts(i, NEW_CALLBACK));
      t.diagnostic(`callback added on C, accepted on ${instances[i].name} after ${ms} ms (PostgreSQL NOTIFY)`);
    }
    await patch(0, { callbacks: [CALLBACK] });
    for (const i of [1, 2]) {
      const ms = await timeUntil(
        `${instances[i].name} to refuse the removed callback`,
        async () => !(await accepts(i, NEW_CALLBACK)),
      );
      t.diagnostic(`callback removed on A, refused on ${instances[i].name} after ${ms} ms (PostgreSQL NOTIFY)`);
    }

    // A notification missed: the same kind of change written with SQL, the counter bumped as a locked
    // transaction would, but nothing sent. The counter check finds it.
    const sqlClient = new pg.Client({ connectionString: db.url });
    await sqlClient.connect();
    try {
      await sqlClient.query('begin');
      await sqlClient.query(`update clients set callbacks = $1 where client_id = 'static'`, [
        JSON.stringify([CALLBACK, SQL_CALLBACK]),
      ]);
      await sqlClient.query(`update locks set n = n + 1 where name = 'tenant'`);
      await sqlClient.query('commit');
    } finally {
      await sqlClient.end();
    }
    for (const i of [0, 1, 2]) {
      const ms = await timeUntil(`${instances[i].name} to accept the callback written with SQL`, () =>
        accepts(i, SQL_CALLBACK),
      );
      t.diagnostic(
        `callback written with SQL (no NOTIFY), accepted on ${instances[i].name} after ${ms} ms (counter check)`,
      );
    }

    // Deleted through B: the client's tokens are refused on A and C.
    const deleted = await apiFetch(instances[1], '/clients/static', adminToken, { method: 'DELETE' });
    assert.equal(deleted.status, 204, await deleted.text());
    for (const i of [0, 2]) {
      const form = { grant_type: 'refresh_token', refresh_token: 'whatever', ...clientCredentials('static') };
      const ms = await timeUntil(`${instances[i].name} to forget the deleted client`, async () => {
        const answer = await postToken(instances[i], form);
        return answer.status === 401 && answer.body.error === 'invalid_client';
      });
      t.diagnostic(`client deleted on B, unknown on ${instances[i].name} after ${ms} ms (PostgreSQL NOTIFY)`);
    }
  });

  /** The sessions listening for configuration changes on the test database (one per worker). */
  async function listeners(): Promise<number> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `select count(*)::int as n from pg_stat_activity
          where datname = current_database() and application_name = 'gatehouse change listener' and query ilike 'listen %'`,
      );
      return rows[0].n as number;
    } finally {
      await client.end();
    }
  }

  test('every worker of every instance listens on a connection of its own (2 + 1 + 1), closed when it stops', async () => {
    await waitFor('four listening connections', async () => (await listeners()) === 4);
    const exit = await instances[2].cli.stop();
    assert.equal(exit.code, 0, instances[2].cli.stderr());
    assert.equal(await listeners(), 3);
    instances[2] = await startInstance('C', Number(new URL(instances[2].url('/')).port), issuer, {
      GATEHOUSE_DATABASE_URL: db.url,
    });
    await waitFor('four listening connections again', async () => (await listeners()) === 4);
  });

  test('brute-force protection: 10 failures spread over the three instances block the e-mail on all of them', async () => {
    const guesser = new CookieJarClient(balanced);
    const params = { client_id: 'rotating', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid' };
    target = 0;
    const { form: first } = await openPage(guesser, await guesser.get(authorizeUrl(balanced, params)), '/u/login');
    let form = first;
    for (let attempt = 0; attempt < 10; attempt++) {
      target = attempt % 3;
      const answer = await submitLogin(guesser, form, users.bob.email, `wrong-${attempt}`);
      assert.equal(answer.status, 400, `attempt ${attempt} on ${instances[target].name}: ${alertText(answer)}`);
      form = pageForm(answer);
    }
    for (let i = 0; i < 3; i++) {
      target = i;
      // Blocked: even the right password is refused, without being checked.
      const answer = await submitLogin(guesser, form, users.bob.email, PASSWORD);
      assert.equal(answer.status, 429, `${instances[i].name}: ${answer.text}`);
      assert.equal(alertText(answer), BLOCKED);
      form = pageForm(answer);
    }
  });
});
