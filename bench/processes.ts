// Every process the benchmark starts is tracked here and stopped at the end: on success, on an error,
// on Ctrl-C (SIGINT) or SIGTERM. Servers run in their own process group, so one signal reaches the
// primary and its cluster workers together.
import type { ChildProcess } from 'node:child_process';
import { isRunning } from './proc-stats.js';

const running = new Set<ChildProcess>();
const groupLeaders = new WeakSet<ChildProcess>();

export function track<T extends ChildProcess>(child: T): T {
  running.add(child);
  // A process group stays listed until stopProcess has killed what is left of it.
  if (!groupLeaders.has(child)) child.once('exit', () => running.delete(child));
  return child;
}

/** Tracks a child started with `detached: true`: signals go to its whole process group. */
export function trackGroup<T extends ChildProcess>(child: T): T {
  groupLeaders.add(child);
  return track(child);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  const group = groupLeaders.has(child);
  // A lone child that has exited is left alone (its pid may be reused); a group may outlive its leader.
  if (!group && (child.exitCode !== null || child.signalCode !== null)) return;
  try {
    process.kill(group ? -child.pid : child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * SIGTERM to the process (or its group), then SIGKILL once `graceMs` have passed. `members` are the
 * group's other processes (cluster workers): they get the same grace to exit (and, when profiled, to
 * write their CPU profile) before anything left is killed.
 */
export async function stopProcess(child: ChildProcess, members: readonly number[] = [], graceMs = 5000): Promise<void> {
  const deadline = Date.now() + graceMs;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  while (members.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  signalGroup(child, 'SIGKILL');
  running.delete(child);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => stopProcess(child)));
}

function killAllNow(): void {
  for (const child of running) signalGroup(child, 'SIGKILL');
}

let interrupted = false;
/**
 * Stops everything on Ctrl-C or SIGTERM, and kills what is left if the benchmark exits any other way.
 * `atExit` (synchronous: removing temporary files) runs last in every case.
 */
export function installCleanup(atExit: () => void): void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return killAllNow();
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}, stopping the servers…\n`);
    stopAll().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => {
    killAllNow();
    atExit();
  });
}
