// Runs the example test suites of docs/examples/testing/ as a user's CI job does: `node --test <file>` in that
// folder, in a child process whose only link to Gatehouse is the environment (AUTH0_DOMAIN, NODE_EXTRA_CA_CERTS).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cliEnv, repoRoot } from '../helpers/cli.js';

export const EXAMPLES_DIR = join(repoRoot, 'docs/examples/testing');

export interface ExampleRun {
  code: number | null;
  /** node:test's TAP output (the default reporter when stdout is not a terminal), and stderr after it. */
  output: string;
  /** The counts of the closing summary: `# pass N`, `# fail N`, … */
  counts: Record<string, number>;
}

export async function runExample(file: string, env: Record<string, string>): Promise<ExampleRun> {
  // Without NODE_TEST_CONTEXT, which this runner sets for its own children: a child that sees it would not run
  // its files as a test run of its own.
  const { NODE_TEST_CONTEXT: _, ...clean } = cliEnv(env);
  const child = spawn(process.execPath, ['--test', '--test-reporter=tap', file], {
    cwd: EXAMPLES_DIR,
    env: clean,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  const counts = Object.fromEntries(
    [...output.matchAll(/^# (tests|pass|fail|cancelled|skipped|todo) (\d+)$/gm)].map((m) => [m[1], Number(m[2])]),
  );
  return { code, output, counts };
}
