// gatehouse users import FILE --connection NAME [--upsert] | users export: users in and out of a database connection
// in Auth0's formats (docs/migrating-from-auth0.md). The import streams its file (JSON array or NDJSON, any size),
// prints each failed row as a JSON line on stdout and the summary last; progress goes to stderr on a terminal.
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { type Config, ConfigError } from '../config.js';
import type { ImportSummary } from '../store/types.js';
import { databaseConnection } from '../tenant-file/apply.js';
import { exportUsers, exportFormats, type ExportFormat, parseExportFields } from '../tenant-file/export-users.js';
import { importElements } from '../tenant-file/import-reader.js';
import { importUsers } from '../tenant-file/import-users.js';
import { TenantFileError } from '../tenant-file/parse.js';
import { withConfig, withStore } from './options.js';

/** A progress line on a terminal: bytes read of the file's size, and the counts so far. */
function progress(size: number, read: () => number) {
  if (!process.stderr.isTTY) return undefined;
  return (summary: ImportSummary) => {
    const share = size ? Math.min(1, read() / size) : 1;
    const width = 30;
    const bar = '#'.repeat(Math.round(share * width)).padEnd(width, '.');
    process.stderr.write(
      `\r[${bar}] ${(share * 100).toFixed(0).padStart(3)}%  ${summary.total} rows: ${summary.inserted} inserted, ${summary.updated} updated, ${summary.failed} failed`,
    );
  };
}

async function importFile(config: Config, file: string, options: { connection: string; upsert?: boolean }) {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new ConfigError(`Cannot read ${file}`);
  }
  const summary = await withStore(config, async ({ store }) => {
    let connection: Awaited<ReturnType<typeof databaseConnection>>;
    try {
      connection = await databaseConnection(store, options.connection, '--connection');
    } catch (error) {
      if (error instanceof TenantFileError) throw new ConfigError(error.message);
      throw error;
    }
    const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 });
    const show = progress(size, () => stream.bytesRead);
    try {
      return await importUsers(store, importElements(stream), {
        connection,
        upsert: options.upsert ?? false,
        now: Date.now,
        onError: (error) => console.log(JSON.stringify(error)),
        onProgress: show,
      });
    } catch (error) {
      if (error instanceof SyntaxError) throw new ConfigError(`${file}: ${error.message}`);
      throw error;
    } finally {
      if (show) process.stderr.write('\n');
    }
  });
  console.log(JSON.stringify({ summary }));
  if (summary.failed) process.exitCode = 2;
}

async function exportFile(
  config: Config,
  options: { connection?: string; format: string; fields?: string; withHashes?: boolean; output?: string },
) {
  if (!exportFormats.includes(options.format as ExportFormat))
    throw new ConfigError(`--format must be one of: ${exportFormats.join(', ')}`);
  const fields = options.fields
    ? parseExportFields(options.fields.split(',').map((name) => ({ name: name.trim() })))
    : undefined;
  if (typeof fields === 'string') throw new ConfigError(fields);
  // Password hashes are as secret as the database: such a file is readable by its owner only.
  const out: Writable = options.output
    ? createWriteStream(options.output, { mode: options.withHashes ? 0o600 : 0o666 })
    : process.stdout;
  await withStore(config, async ({ store }) => {
    if (options.connection && !(await store.connections.getByName(options.connection)))
      throw new ConfigError(`--connection: connection "${options.connection}" does not exist`);
    await exportUsers(store.users, out, {
      connection: options.connection,
      format: options.format as ExportFormat,
      fields,
      withHashes: options.withHashes ?? false,
    });
  });
  if (options.output)
    await new Promise<void>((resolve, reject) =>
      out.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
}

export function usersCommand(program: Command): void {
  const users = program
    .command('users')
    .description("import and export users in Auth0's formats (docs/migrating-from-auth0.md)");
  withConfig(
    users
      .command('import')
      .argument('<file>', "Auth0's bulk import file (JSON array) or NDJSON, including Auth0's password-hash export")
      .requiredOption('--connection <name>', 'the database connection to import into')
      .option('--upsert', 'update users that exist already (otherwise they are failed rows)')
      .description('import users with their password hashes; failed rows and the summary print as JSON lines'),
  ).action(async (config, [file]) => {
    const self = users.commands.find((command) => command.name() === 'import')!;
    await importFile(config, file, self.opts());
  });
  withConfig(
    users
      .command('export')
      .option('--connection <name>', "only this connection's users")
      .option('--format <format>', `${exportFormats.join(' or ')}`, 'ndjson')
      .option('--fields <names>', 'comma-separated fields (default: every field of the user)')
      .option('--with-hashes', 'include password hashes (as custom_password_hash / password_hash, importable)')
      .option('-o, --output <file>', 'write to a file instead of stdout')
      .description("export users in Auth0's export format"),
  ).action(async (config) => {
    const self = users.commands.find((command) => command.name() === 'export')!;
    await exportFile(config, self.opts());
  });
}
