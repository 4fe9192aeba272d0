// Refresh-token continuity across a migration, through the real CLI on both databases: `gatehouse tokens import`
// stores refresh tokens issued by another server, and grant_type=refresh_token at /oauth/token accepts the old
// string afterwards (tokens for the same user, client, audience and scope); an expired token, an unknown client
// and a line that is not JSON are failed rows with their reason (the token itself never printed).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeJwt } from 'jose';
import { runCli } from '../helpers/cli.js';
import { forEachDatabase } from '../helpers/each-database.js';
import { alice, scopes, tenant } from '../helpers/fixtures.js';
import { postToken } from '../helpers/http-client.js';
import { type RunningGatehouse, startGatehouse, TEST_SECRET } from '../helpers/server.js';

const SECRET = 'backend-secret-0123456789-abcdefghijklmnopqrstu';
const OFFLINE_API = 'https://offline.acme.test';
const OLD_TOKEN = 'v1.MjM0NTY3ODkwYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo-old-server';

forEachDatabase('gatehouse tokens import', (db) => {
  let server: RunningGatehouse;
  // The server's clock runs this far ahead of the real one (the CLI's is real).
  let ahead = 0;

  before(async () => {
    server = await startGatehouse({
      databaseUrl: db().url,
      now: () => Date.now() + ahead,
      tenant: tenant({
        resource_servers: [{ identifier: OFFLINE_API, allow_offline_access: true, scopes: scopes('read:items') }],
        clients: [
          {
            client_id: 'backend',
            client_secret: SECRET,
            name: 'Backend',
            app_type: 'regular_web',
            token_endpoint_auth_method: 'client_secret_post',
            grant_types: ['password', 'refresh_token'],
            callbacks: [],
          },
          {
            client_id: 'rotating-app',
            client_secret: SECRET,
            name: 'Rotating app',
            app_type: 'regular_web',
            token_endpoint_auth_method: 'client_secret_post',
            grant_types: ['refresh_token'],
            callbacks: [],
            refresh_token: { rotation_type: 'rotating', expiration_type: 'non-expiring', leeway: 0 },
          },
        ],
        users: [alice({ user_id: 'alice' })],
      }),
    });
  });
  after(() => server?.close());

  test('an imported refresh token is redeemed; bad rows are reported and skipped', async () => {
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;
    const rows = [
      {
        token: OLD_TOKEN,
        user_id: 'auth0|alice',
        client_id: 'backend',
        audience: OFFLINE_API,
        scope: 'openid offline_access read:items',
        expires_at: inAnHour,
      },
      {
        token: 'expired-token-0123456789',
        user_id: 'auth0|alice',
        client_id: 'backend',
        scope: 'openid',
        expires_at: 1000,
      },
      {
        token: 'unknown-client-0123456789',
        user_id: 'auth0|alice',
        client_id: 'nope',
        scope: 'openid',
        expires_at: null,
      },
    ];
    const text = `${rows.map((row) => JSON.stringify(row)).join('\n')}\nnot json\n`;
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-tokens-')), 'tokens.ndjson');
    writeFileSync(file, text);
    const out = await runCli(['tokens', 'import', file], {
      GATEHOUSE_DATABASE_URL: db().url,
      GATEHOUSE_SECRET: TEST_SECRET,
    });
    assert.equal(out.code, 2, out.stderr);
    const lines = out.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(lines.at(-1), { summary: { failed: 3, updated: 0, inserted: 1, total: 4 } });
    assert.deepEqual(
      // Rows that are not JSON are reported as they are read, the others as their batch is written.
      lines
        .slice(0, -1)
        .map((line) => line.errors[0].message)
        .sort(),
      ['The row is not JSON', 'no client nope', 'the token has expired'],
    );
    // A line that is not JSON may be a token: neither it nor JSON.parse's quote of it is printed.
    assert.ok(!JSON.stringify(lines).includes('not json'));
    assert.ok(!out.stdout.includes('expired-token-0123456789'), 'tokens are never printed');

    const answer = await postToken(server, {
      grant_type: 'refresh_token',
      refresh_token: OLD_TOKEN,
      client_id: 'backend',
      client_secret: SECRET,
    });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const access = decodeJwt(answer.body.access_token as string);
    assert.equal(access.sub, 'auth0|alice');
    assert.deepEqual(access.aud, [OFFLINE_API, `${server.issuer}userinfo`]);
    assert.equal(answer.body.scope, 'openid read:items');
    assert.equal(decodeJwt(answer.body.id_token as string).sub, 'auth0|alice');

    const again = await runCli(['tokens', 'import', file], {
      GATEHOUSE_DATABASE_URL: db().url,
      GATEHOUSE_SECRET: TEST_SECRET,
    });
    const messages = again.stdout
      .trim()
      .split('\n')
      .slice(0, -1)
      .map((line) => JSON.parse(line).errors[0].message);
    assert.ok(messages.includes('the token was imported already'), messages.join('; '));
  });

  test('a rotating client: the successor of an imported token ends when the imported one would have', async () => {
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const row = {
      token: 'rotating-old-server-token-0123456789',
      user_id: 'auth0|alice',
      client_id: 'rotating-app',
      audience: OFFLINE_API,
      scope: 'openid offline_access read:items',
      expires_at: expiresAt,
    };
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-tokens-')), 'tokens.ndjson');
    writeFileSync(file, `${JSON.stringify(row)}\n`);
    const out = await runCli(['tokens', 'import', file], {
      GATEHOUSE_DATABASE_URL: db().url,
      GATEHOUSE_SECRET: TEST_SECRET,
    });
    assert.equal(out.code, 0, out.stderr);
    const refresh = (token: string) =>
      postToken(server, {
        grant_type: 'refresh_token',
        refresh_token: token,
        client_id: 'rotating-app',
        client_secret: SECRET,
      });
    const first = await refresh(row.token);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const successor = first.body.refresh_token as string;
    assert.ok(successor && successor !== row.token, 'the client rotates');
    // The client's own tokens never expire; the family still ends when the other server said it would.
    ahead = (expiresAt + 1) * 1000 - Date.now();
    try {
      const late = await refresh(successor);
      assert.equal(late.body.error, 'invalid_grant', JSON.stringify(late.body));
    } finally {
      ahead = 0;
    }
  });
});
