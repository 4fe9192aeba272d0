// Runs the real `gatehouse` CLI (dist/src/cli/index.js) as a child process, as a user would. Every child
// started here is tracked so an `after` hook can kill what a failed test left running.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/test/helpers/. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const cliPath = fileURLToPath(new URL('../../src/cli/index.js', import.meta.url));

/** The parent's environment without any GATEHOUSE_* variable, plus `env`: nothing leaks in from the shell. */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GATEHOUSE_')));
  return { ...clean, ...env };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches, rejects if the process exits first or `timeoutMs` passes. */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<Exit>;
  /** Sends the signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
}

const running = new Set<ChildProcess>();

/** SIGKILL to the child's process group: `gatehouse start` is a cluster primary with worker children. */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // The group is gone already.
  }
}

/** Kills every child started here, with its workers; for `after` hooks. */
export function killAllStartedChildren(): void {
  for (const child of running) killGroup(child);
  running.clear();
}

export interface SpawnOptions {
  /** A command that runs the CLI (it must exec its arguments): e.g. unshare for a mount namespace of its own. */
  prefix?: readonly string[];
  /** Run as this user and group (a test running as root that needs permissions to apply). */
  uid?: number;
  gid?: number;
  /** Run under `ulimit -n` this low: the open-file limit of the primary and its workers. */
  fileLimit?: number;
}

export function spawnCli(args: readonly string[], env: Record<string, string>, options: SpawnOptions = {}): CliProcess {
  const cli = [...(options.prefix ?? []), process.execPath, cliPath, ...args];
  // With a file limit, a shell sets it and then becomes the command (exec), so the pid is still the CLI's.
  const [command, ...commandArgs] =
    options.fileLimit === undefined
      ? cli
      : ['/bin/sh', '-c', `ulimit -n ${options.fileLimit} && exec "$0" "$@"`, ...cli];
  // detached: its own process group, so that a failed test can kill the workers too.
  const child = spawn(command, commandArgs, {
    cwd: repoRoot,
    env: cliEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    uid: options.uid,
    gid: options.gid,
  });
  running.add(child);
  let out = '';
  let err = '';
  let closed = false;
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<Exit>((resolve) => {
    const finish = (exit: Exit) => {
      if (closed) return;
      closed = true;
      running.delete(child);
      for (const listener of listeners) listener();
      resolve(exit);
    };
    child.once('close', (code, signal) => finish({ code, signal }));
    // A worker left behind would hold stdout open and 'close' would never come: give it 5 s, then kill it.
    child.once('exit', (code, signal) =>
      setTimeout(() => {
        if (!closed) killGroup(child);
        finish({ code, signal });
      }, 5000).unref(),
    );
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForStdout(pattern, timeoutMs = 90_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => done(new Error(`timed out waiting for ${pattern} on stdout:\n${out}\nstderr:\n${err}`)),
          timeoutMs,
        );
        const check = () => {
          const match = out.match(pattern);
          if (match) return done(undefined, match);
          if (closed) {
            done(
              new Error(
                `exited (${child.exitCode ?? child.signalCode}) before ${pattern} appeared; stdout:\n${out}\nstderr:\n${err}`,
              ),
            );
          }
        };
        const done = (error?: Error, match?: RegExpMatchArray) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve(match!);
        };
        listeners.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface CliResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs a CLI command to completion (e.g. `keys rotate`). */
export async function runCli(
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
  options: SpawnOptions = {},
): Promise<CliResult> {
  const cli = spawnCli(args, env, options);
  const timer = setTimeout(() => killGroup(cli.child), timeoutMs);
  const exit = await cli.exited;
  clearTimeout(timer);
  return { ...exit, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** The primary's children (its workers), from /proc: every thread's `children` file. */
export function childrenOf(pid: number): number[] {
  const pids = new Set<number>();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(/\s+/))
        if (child) pids.add(Number(child));
    } catch {
      // The thread ended while we listed them.
    }
  }
  return [...pids].sort((x, y) => x - y);
}

/** Polls `check` every 50 ms until it returns a value other than undefined/false; throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
