#!/usr/bin/env node
// gatehouse start [--port N --issuer URL --database-url URL --bootstrap FILE …]
// gatehouse keys list | rotate | revoke <kid>
import { openStoreAndKeys } from '../start-up.js';
import { ConfigError, loadConfig, wantsStacks } from '../config.js';
import { DatabaseStartError } from '../store/start-errors.js';
import { TenantFileError } from '../tenant-file/parse.js';
import { KeyDecryptionError } from '../protocol/keys/keyring.js';
import { certificateHost, revokeSigningKey, rotateSigningKeys } from '../protocol/keys/rotation.js';
import { start } from '../main.js';

const usage = `Usage:
  gatehouse start [--port 3000] [--host 127.0.0.1] [--issuer URL] [--database-url URL] [--bootstrap FILE] [--https] …
  gatehouse keys list
  gatehouse keys rotate          make the next key current, publish a new next key (no downtime)
  gatehouse keys revoke KID      remove a previous key from the JWKS
Every option is also an environment variable: --database-url is GATEHOUSE_DATABASE_URL, and so on.`;

async function keys(action: string | undefined, rest: string[]) {
  const { kid, flags } = action === 'revoke' ? { kid: rest[0], flags: rest.slice(1) } : { kid: undefined, flags: rest };
  const config = loadConfig(process.env, flags);
  const { store, box } = await openStoreAndKeys(config);
  try {
    if (action === 'rotate') {
      const kids = await rotateSigningKeys(store, box, Date.now, certificateHost(config.issuer));
      console.log(`Rotated. Now signing with: ${kids.join(', ')}`);
    } else if (action === 'revoke') {
      if (!kid) throw new ConfigError('keys revoke needs a kid');
      // A refusal is the operator's to fix, so it is one line, not a stack (revokeSigningKey checks again).
      const existing = (await store.signingKeys.list()).find((k) => k.kid === kid);
      if (existing?.status === 'current' || existing?.status === 'next') {
        throw new ConfigError(
          `${kid} is the ${existing.status} ${existing.alg} key and cannot be revoked; only a previous key can (gatehouse keys rotate makes the current key previous)`,
        );
      }
      const key = await revokeSigningKey(store, kid, Date.now);
      if (!key) throw new ConfigError(`No signing key ${kid}`);
      console.log(`Revoked ${kid}`);
    } else if (action === 'list' || action === undefined) {
      for (const key of await store.signingKeys.list()) {
        console.log(
          `${key.kid}  ${key.alg.padEnd(6)} ${key.status.padEnd(9)} created ${new Date(key.created_at).toISOString()}`,
        );
      }
    } else {
      throw new ConfigError(usage);
    }
  } finally {
    await store.close();
  }
}

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'start') return start(loadConfig(process.env, rest));
  if (command === 'keys') return keys(rest[0], rest.slice(1));
  if (command === 'help' || command === '--help' || command === '-h') return console.log(usage);
  throw new ConfigError(`Unknown command "${command}"\n${usage}`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // Errors a user can fix are one clear line (with the stack below it at log level debug); anything else
  // keeps its stack for a bug report.
  const expected =
    error instanceof ConfigError ||
    error instanceof TenantFileError ||
    error instanceof KeyDecryptionError ||
    error instanceof DatabaseStartError;
  const line = `gatehouse: ${expected ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`;
  const debug = expected && wantsStacks(process.env, process.argv[2] === 'start' ? process.argv.slice(3) : []);
  const cause = (error as Error).cause;
  process.stderr.write(
    debug ? `${line}${(cause instanceof Error ? cause.stack : undefined) ?? (error as Error).stack}\n` : line,
  );
  process.exit(1);
});
