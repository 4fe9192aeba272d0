// The delivery settings at `gatehouse start`, as a user meets them: a mail server URL of another scheme or with
// an unknown option, an SMS webhook without its secret, a sender that is no address and a CA file that cannot
// be read each stop the start with one sentence naming the setting (exit 1); the flags do the same as the
// variables.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { TEST_SECRET } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-delivery-settings-'));

async function start(env: Record<string, string>, args: string[] = []) {
  return runCli(
    ['start', ...args],
    {
      GATEHOUSE_DATABASE_URL: `sqlite:${join(dir, 'gatehouse.db')}`,
      GATEHOUSE_SECRET: TEST_SECRET,
      GATEHOUSE_PORT: '1',
      GATEHOUSE_WORKERS: '1',
      ...env,
    },
    120_000,
  );
}

function assertRefused(result: { code: number | null; stderr: string }, names: string) {
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, result.stderr);
  assert.ok(lines[0].includes(names), `${lines[0]} does not name ${names}`);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
}

test('bad delivery settings stop the start with one sentence naming the setting', async () => {
  assertRefused(await start({ GATEHOUSE_SMTP_URL: 'http://mail.example.com' }), 'GATEHOUSE_SMTP_URL');
  assertRefused(await start({ GATEHOUSE_SMTP_URL: 'smtp://mail.example.com?ignoreTLS=true' }), 'GATEHOUSE_SMTP_URL');
  assertRefused(await start({}, ['--smtp-url', 'mail.example.com']), 'GATEHOUSE_SMTP_URL');
  assertRefused(await start({ GATEHOUSE_SMTP_FROM: 'not an address' }), 'GATEHOUSE_SMTP_FROM');
  assertRefused(
    await start({ GATEHOUSE_SMS_WEBHOOK_URL: 'https://sms.example.com/send' }),
    'GATEHOUSE_SMS_WEBHOOK_SECRET',
  );
  assertRefused(
    await start({}, ['--sms-webhook-url', 'https://sms.example.com/send', '--sms-webhook-secret', 'short']),
    'GATEHOUSE_SMS_WEBHOOK_SECRET',
  );
  assertRefused(
    await start({ GATEHOUSE_SMTP_URL: 'smtp://127.0.0.1:2525', GATEHOUSE_SMTP_CA: join(dir, 'missing.pem') }),
    'GATEHOUSE_SMTP_CA',
  );
});
