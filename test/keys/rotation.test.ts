// An operator rotates the signing keys with `gatehouse keys rotate` while Gatehouse serves tokens, then
// revokes the previous key: the JWKS always holds the current and next key of every algorithm, the
// running server switches to the old next key within its refresh time, tokens signed before rotation
// still verify until their key is revoked (docs/signing-keys.md "The life of a key").
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, errors as joseErrors, type JSONWebKeySet, jwtVerify } from 'jose';
import { signingAlgs } from '../../src/protocol/keys/keyring.js';
import { killAllStartedChildren, runCli } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { type RunningGatehouse, startGatehouse, TEST_SECRET } from '../helpers/server.js';
import { snapshotDatabase } from '../helpers/snapshot.js';
import { acmeTenant, API, SECRET_BASIC } from '../helpers/fixtures.js';

/** An API of the shared fixture tenant per signing algorithm. */
const audienceOf: Record<string, string> = {
  RS256: API,
  PS256: 'https://ps256.acme.test',
  ES256: 'https://es256.acme.test',
  EdDSA: 'https://eddsa.acme.test',
};

after(killAllStartedChildren);

forEachDatabase('signing key rotation', (db) => {
  let server: RunningGatehouse;
  const cliEnv = () => ({ GATEHOUSE_DATABASE_URL: db().url, GATEHOUSE_SECRET: TEST_SECRET });
  before(async () => {
    server = await startGatehouse({ databaseUrl: db().url, tenant: acmeTenant() });
  });
  after(() => server?.close());

  async function jwks(): Promise<JSONWebKeySet> {
    const response = await fetch(server.url('/.well-known/jwks.json'));
    assert.equal(response.status, 200);
    return response.json();
  }
  async function token(alg: string): Promise<string> {
    const response = await fetch(server.url('/oauth/token'), {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`m2m-basic:${encodeURIComponent(SECRET_BASIC)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience: audienceOf[alg] }),
    });
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    return body.access_token;
  }
  async function verify(accessToken: string, set: JSONWebKeySet) {
    const alg = decodeProtectedHeader(accessToken).alg!;
    return jwtVerify(accessToken, createLocalJWKSet(set), {
      issuer: server.issuer,
      audience: audienceOf[alg],
      algorithms: [alg],
    });
  }
  /** kid by alg and status, read from the database. */
  async function keysByStatus(): Promise<Record<string, Record<string, string[]>>> {
    const { signing_keys } = await snapshotDatabase(db().url, ['signing_keys']);
    const out: Record<string, Record<string, string[]>> = {};
    for (const key of signing_keys) {
      out[key.alg as string] ??= {};
      const byStatus = out[key.alg as string];
      byStatus[key.status as string] ??= [];
      byStatus[key.status as string].push(key.kid as string);
    }
    return out;
  }

  let initial: Record<string, Record<string, string[]>>;
  const tokensBefore = new Map<string, string>();

  test('the JWKS holds a current and a next key for each algorithm, each with kid, use "sig" and alg', async () => {
    const { keys } = await jwks();
    assert.equal(keys.length, 2 * signingAlgs.length);
    initial = await keysByStatus();
    for (const alg of signingAlgs) {
      const published = keys.filter((k) => k.alg === alg);
      assert.equal(published.length, 2, alg);
      assert.deepEqual(published.map((k) => k.kid).sort(), [...initial[alg].current, ...initial[alg].next].sort());
    }
    for (const key of keys) {
      assert.equal(typeof key.kid, 'string');
      assert.equal(key.use, 'sig');
      assert.ok(signingAlgs.includes(key.alg as never), key.alg);
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
        assert.equal(key[secret as keyof typeof key], undefined, `no private ${secret}`);
    }
    assert.equal(new Set(keys.map((k) => k.kid)).size, keys.length, 'kids are unique');
  });

  test('discovery lists exactly the algorithms of the JWKS in id_token_signing_alg_values_supported', async () => {
    const discovery = await (await fetch(server.url('/.well-known/openid-configuration'))).json();
    const { keys } = await jwks();
    assert.deepEqual(
      [...discovery.id_token_signing_alg_values_supported].sort(),
      [...new Set(keys.map((k) => k.alg!))].sort(),
    );
    assert.deepEqual([...discovery.id_token_signing_alg_values_supported].sort(), [...signingAlgs].sort());
  });

  test('tokens are signed with the current key of their API’s algorithm', async () => {
    const set = await jwks();
    for (const alg of signingAlgs) {
      const accessToken = await token(alg);
      assert.deepEqual(decodeProtectedHeader(accessToken).kid, initial[alg].current[0], alg);
      await verify(accessToken, set);
      tokensBefore.set(alg, accessToken);
    }
  });

  test('gatehouse keys list shows every key with its status', async () => {
    const result = await runCli(['keys', 'list'], cliEnv());
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 2 * signingAlgs.length);
    for (const alg of signingAlgs) {
      for (const status of ['current', 'next']) {
        assert.ok(
          lines.some((l) => l.startsWith(initial[alg][status][0]) && new RegExp(`\\s${alg}\\s+${status}\\s`).test(l)),
          `${alg} ${status}:\n${result.stdout}`,
        );
      }
    }
  });

  test('gatehouse keys rotate: the old next key signs within 2 s, old tokens still verify, a new next key is published', async () => {
    const result = await runCli(['keys', 'rotate'], cliEnv());
    assert.equal(result.code, 0, result.stderr);
    const rotatedAt = Date.now();
    const oldNext = signingAlgs.map((alg) => initial[alg].next[0]);
    assert.equal(result.stdout, `Rotated. Now signing with: ${oldNext.join(', ')}\n`);

    // The running server reads the key table again at most a second after it last did.
    for (const alg of signingAlgs) {
      let kid = decodeProtectedHeader(await token(alg)).kid;
      while (kid !== initial[alg].next[0] && Date.now() - rotatedAt < 2000) {
        await new Promise((r) => setTimeout(r, 50));
        kid = decodeProtectedHeader(await token(alg)).kid;
      }
      assert.equal(kid, initial[alg].next[0], `${alg} still signs with ${kid} 2 s after the rotation`);
    }
    assert.ok(Date.now() - rotatedAt < 2000);

    const rotated = await keysByStatus();
    const set = await jwks();
    assert.equal(set.keys.length, 3 * signingAlgs.length);
    for (const alg of signingAlgs) {
      assert.deepEqual(rotated[alg].previous, initial[alg].current, alg);
      assert.deepEqual(rotated[alg].current, initial[alg].next, alg);
      assert.equal(rotated[alg].next.length, 1);
      const newNext = rotated[alg].next[0];
      assert.ok(![...initial[alg].current, ...initial[alg].next].includes(newNext), 'a fresh next key');
      assert.deepEqual(
        set.keys
          .filter((k) => k.alg === alg)
          .map((k) => k.kid)
          .sort(),
        [initial[alg].current[0], initial[alg].next[0], newNext].sort(),
      );
      // Tokens signed before the rotation and after it both verify against the published keys.
      const { protectedHeader } = await verify(tokensBefore.get(alg)!, set);
      assert.equal(protectedHeader.kid, initial[alg].current[0]);
      await verify(await token(alg), set);
    }
  });

  test('gatehouse keys revoke <previous kid> removes it from the JWKS; tokens it signed stop verifying', async () => {
    const previous = initial.RS256.current[0];
    const result = await runCli(['keys', 'revoke', previous], cliEnv());
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, `Revoked ${previous}\n`);
    const revokedAt = Date.now();
    let set = await jwks();
    while (set.keys.some((k) => k.kid === previous) && Date.now() - revokedAt < 2000) {
      await new Promise((r) => setTimeout(r, 50));
      set = await jwks();
    }
    assert.ok(!set.keys.some((k) => k.kid === previous), 'the revoked key left the JWKS within 2 s');
    assert.equal(set.keys.length, 3 * signingAlgs.length - 1);
    await assert.rejects(verify(tokensBefore.get('RS256')!, set), joseErrors.JWKSNoMatchingKey);
    // The other algorithms' previous keys are still published.
    for (const alg of signingAlgs.filter((a) => a !== 'RS256')) await verify(tokensBefore.get(alg)!, set);
    assert.deepEqual((await keysByStatus()).RS256.revoked, [previous]);
  });

  test('revoking the current or the next key is refused with exit code 1, and so is an unknown kid', async () => {
    const keys = await keysByStatus();
    const jwksBefore = await jwks();
    const cases = [
      [
        keys.ES256.current[0],
        `gatehouse: ${keys.ES256.current[0]} is the current ES256 key and cannot be revoked; only a previous key can (gatehouse keys rotate makes the current key previous)\n`,
      ],
      [
        keys.RS256.next[0],
        `gatehouse: ${keys.RS256.next[0]} is the next RS256 key and cannot be revoked; only a previous key can (gatehouse keys rotate makes the current key previous)\n`,
      ],
      ['no-such-kid', 'gatehouse: No signing key no-such-kid\n'],
    ];
    for (const [kid, message] of cases) {
      const result = await runCli(['keys', 'revoke', kid], cliEnv());
      assert.equal(result.code, 1, result.stdout);
      assert.equal(result.stderr, message);
    }
    assert.deepEqual(await keysByStatus(), keys);
    assert.deepEqual(await jwks(), jwksBefore);
  });
});
