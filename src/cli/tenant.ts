// gatehouse tenant export | apply | diff: the tenant as code (docs/tenant-as-code.md), on the database the
// configuration names.
import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { stringify } from 'yaml';
import { type Config, endpoints, environmentVariable } from '../config.js';
import { argon2Concurrency, argon2OptionsFor, createPasswords } from '../crypto/passwords.js';
import { validatePageTemplate } from '../login/template-checks.js';
import { type Change, describeChange } from '../tenant-file/diff.js';
import { exportTenant } from '../tenant-file/export.js';
import { readTenantFile } from '../tenant-file/parse.js';
import { reconcileTenant } from '../tenant-file/reconcile.js';
import { withConfig, withStore } from './options.js';

interface ExportFlags {
  secrets?: boolean;
  users?: boolean;
  format?: 'yaml' | 'json';
  output?: string;
}

async function exportCommand(config: Config, flags: ExportFlags): Promise<void> {
  const file = await withStore(config, ({ store, box }) =>
    // One transaction: a consistent picture while others write.
    store.transaction(null, (tx) =>
      exportTenant(tx, {
        box,
        secrets: Boolean(flags.secrets),
        users: Boolean(flags.users),
        operatorClientId: config.adminClientId,
      }),
    ),
  );
  const format = flags.format ?? (flags.output && /\.json$/i.test(flags.output) ? 'json' : 'yaml');
  // lineWidth 0: long strings are never folded, so a value's bytes do not depend on its neighbours.
  const text = format === 'json' ? `${JSON.stringify(file, null, 2)}\n` : stringify(file, { lineWidth: 0 });
  if (flags.output) {
    // Secrets inside: readable by the owner only.
    await writeFile(flags.output, text, { mode: flags.secrets ? 0o600 : 0o644 });
    console.error(`Exported the tenant to ${flags.output}`);
  } else process.stdout.write(text);
}

function printChanges(changes: Change[]): void {
  for (const change of changes) console.log(describeChange(change));
}

async function reconcile(config: Config, path: string, mode: { dryRun: boolean; prune: boolean }): Promise<Change[]> {
  const file = await readTenantFile(path, environmentVariable);
  return withStore(config, ({ store, box }) =>
    reconcileTenant(store, file, {
      ...mode,
      box,
      managementAudience: endpoints(config.issuer).managementAudience,
      operatorClientId: config.adminClientId,
      passwords: createPasswords(argon2Concurrency(1), argon2OptionsFor(config.mode)),
      now: Date.now,
      checkPageTemplate: validatePageTemplate,
    }),
  );
}

/** `gatehouse tenant --help` lists each subcommand's own flags too. */
function subcommandFlags(tenant: Command): string {
  const lines = tenant.commands.flatMap((command) => [
    '',
    `gatehouse tenant ${command.name()} ${command.registeredArguments.map((a) => `<${a.name()}>`).join(' ')}`.trimEnd(),
    ...command.options.map((option) => `  ${option.flags.padEnd(22)}  ${option.description}`),
  ]);
  return [
    ...lines,
    '',
    'Each also takes the configuration flags of gatehouse start (gatehouse tenant <command> --help).',
  ].join('\n');
}

const plural = (n: number) => `${n} change${n === 1 ? '' : 's'}`;

export function tenantCommand(program: Command): void {
  const tenant = program
    .command('tenant')
    .description('the tenant as code: export it to a file, apply a file, diff (docs/tenant-as-code.md)');

  const exporting = tenant
    .command('export')
    .description('write every object of the tenant as a tenant file (YAML unless --format json or -o *.json)')
    .option('--secrets', `client secrets as their values (otherwise \${CLIENT_SECRET_<NAME>} placeholders)`)
    .option('--users', "the database connections' users (never their password hashes) and the roles' members")
    .addOption(new Option('--format <format>', 'yaml or json').choices(['yaml', 'json']))
    .option('-o, --output <file>', 'write to this file instead of standard output');
  withConfig(exporting).action(async (config) => exportCommand(config, exporting.opts<ExportFlags>()));

  const applying = tenant
    .command('apply')
    .argument('<file>', 'a tenant file (JSON, or YAML when it ends in .yaml or .yml)')
    .description('make the tenant what the file declares, in one transaction; prints each change')
    .option('--dry-run', 'print what would change and change nothing')
    .option('--prune', 'also delete what the file does not declare (never the operator client or the Management API)');
  withConfig(applying).action(async (config, [path]) => {
    const { dryRun = false, prune = false } = applying.opts<{ dryRun?: boolean; prune?: boolean }>();
    const changes = await reconcile(config, path, { dryRun, prune });
    printChanges(changes);
    if (!changes.length) console.log('No changes: the tenant is as the file declares.');
    else if (dryRun) console.log(`Dry run: ${plural(changes.length)} would be made; nothing was changed.`);
    else console.log(`Applied ${plural(changes.length)}.`);
  });

  const diffing = tenant
    .command('diff')
    .argument('<file>', 'a tenant file')
    .description('what `tenant apply FILE` would change; exit status 0 when nothing, 1 when something')
    .option('--prune', 'count what the file does not declare as deleted');
  tenant.addHelpText('after', () => subcommandFlags(tenant));
  withConfig(diffing).action(async (config, [path]) => {
    const { prune = false } = diffing.opts<{ prune?: boolean }>();
    const changes = await reconcile(config, path, { dryRun: true, prune });
    printChanges(changes);
    if (!changes.length) console.log('No changes: the tenant is as the file declares.');
    else console.log(`${plural(changes.length)}.`);
    process.exitCode = changes.length ? 1 : 0;
  });
}
