// Every command reads the same configuration as `gatehouse start`: GATEHOUSE_* variables, overridden by the
// matching flags (--database-url, --secret, …), which config.ts parses. Commander leaves those flags to it.
import type { Command } from 'commander';
import { type Config, loadConfig, startOptions } from '../config.js';
import { openStoreAndKeys } from '../start-up.js';

/** The flags every command takes, for its --help. */
export function optionsHelp(): string {
  const rows = startOptions();
  const width = Math.max(...rows.map((row) => row.flag.length));
  return [
    '',
    'Configuration (each flag overrides its environment variable; docs/configuration.md):',
    ...rows.map(({ flag, variable }) => `  ${flag.padEnd(width)}  ${variable}`),
  ].join('\n');
}

/**
 * Lets `command` take the configuration flags, and calls its action with the loaded Config and its own
 * arguments (declared with .argument()).
 */
export function withConfig(command: Command) {
  command.allowUnknownOption().allowExcessArguments().addHelpText('after', optionsHelp);
  return {
    action(run: (config: Config, args: string[]) => Promise<void>): Command {
      return command.action(async (...received: unknown[]) => {
        const self = received[received.length - 1] as Command;
        const declared = self.registeredArguments.length;
        const args = self.args.slice(0, declared);
        await run(loadConfig(process.env, self.args.slice(declared)), args);
      });
    },
  };
}

export type Opened = Awaited<ReturnType<typeof openStoreAndKeys>>;

/** Opens the configured database (migrated, keys loaded) for one command, and closes it however the command ends. */
export async function withStore<T>(config: Config, use: (opened: Opened) => Promise<T>): Promise<T> {
  const opened = await openStoreAndKeys(config);
  try {
    return await use(opened);
  } finally {
    await opened.store.close();
  }
}
