#!/usr/bin/env node
// gatehouse start | keys …: the command line (commander). `gatehouse --help` and `gatehouse <command> --help`
// list every command and flag.
import { Command } from 'commander';
import { ConfigError, loadConfig, wantsStacks } from '../config.js';
import { start } from '../main.js';
import { KeyDecryptionError } from '../protocol/keys/keyring.js';
import { DatabaseStartError } from '../store/start-errors.js';
import { TenantFileError } from '../tenant-file/parse.js';
import { keysCommand } from './keys.js';
import { optionsHelp } from './options.js';
import { tenantCommand } from './tenant.js';
import { tokensCommand } from './tokens.js';
import { usersCommand } from './users.js';

function program(): Command {
  const gatehouse = new Command('gatehouse')
    .description("an OAuth 2.0 and OpenID Connect server that speaks Auth0's Authentication and Management APIs")
    .showHelpAfterError('(gatehouse --help lists the commands)')
    // A mistyped command or flag is the user's to fix: one line, exit 1 (commander's own exit code).
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text.replace(/^error: /, 'gatehouse: ')) });
  gatehouse
    .command('start', { isDefault: true })
    .description('serve HTTP (or HTTPS with --https): a cluster of workers on one port')
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText('after', optionsHelp)
    .action(async (_options: unknown, command: Command) => {
      // `start` is the default command, so a mistyped command arrives here as its first argument.
      const [first] = command.args;
      if (first !== undefined && !first.startsWith('-'))
        throw new ConfigError(`Unknown command "${first}" (gatehouse --help lists the commands)`);
      await start(loadConfig(process.env, command.args));
    });
  keysCommand(gatehouse);
  tenantCommand(gatehouse);
  usersCommand(gatehouse);
  tokensCommand(gatehouse);
  return gatehouse;
}

function fail(error: unknown): never {
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
}

program()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    // Commander has already written its own message (and the help) for a usage error; --help and --version exit 0.
    const code = (error as { exitCode?: number; code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.'))
      process.exit((error as { exitCode: number }).exitCode);
    fail(error);
  });
