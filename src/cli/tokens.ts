// gatehouse tokens import FILE: refresh tokens from another server (NDJSON {token, user_id, client_id, audience,
// scope, expires_at}), so that apps keep their users signed in across a migration (docs/migrating-from-auth0.md).
// Failed rows print as JSON lines on stdout (the token itself hidden), then the summary.
import { createReadStream, existsSync } from 'node:fs';
import type { Command } from 'commander';
import { type Config, ConfigError } from '../config.js';
import { importElements } from '../tenant-file/import-reader.js';
import { importRefreshTokens } from '../tenant-file/import-tokens.js';
import { withConfig, withStore } from './options.js';

async function importTokens(config: Config, file: string) {
  if (!existsSync(file)) throw new ConfigError(`Cannot read ${file}`);
  await withStore(config, async ({ store }) => {
    const summary = await importRefreshTokens(store, importElements(createReadStream(file, { encoding: 'utf8' })), {
      now: Date.now,
      onError: (error) => console.log(JSON.stringify(error)),
    });
    console.log(JSON.stringify({ summary }));
    if (summary.failed) process.exitCode = 2;
  });
}

export function tokensCommand(program: Command): void {
  const tokens = program.command('tokens').description('import refresh tokens issued by another server');
  withConfig(
    tokens
      .command('import')
      .argument('<file>', 'NDJSON: {token, user_id, client_id, audience, scope, expires_at} a line')
      .description('store refresh tokens (hashed) so that grant_type=refresh_token accepts the old values'),
  ).action(async (config, [file]) => importTokens(config, file));
}
