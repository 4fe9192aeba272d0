// Starting a server as its own process group, waiting for it to answer, and stopping it.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { httpRequest } from './http.js';
import { isRunning, processTree } from './proc-stats.js';
import { stopProcess, trackGroup } from './processes.js';

export interface ServerSpec {
  name: string;
  /** Arguments to node. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Polled until it answers 200. */
  readyUrl: string;
  /** stdout and stderr go here. */
  logPath: string;
  timeoutMs?: number;
}

export interface RunningServer {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** From spawn to the first 200 from readyUrl. */
  readonly startMs: number;
  /** The primary and every descendant (cluster workers), primary first. */
  processes(): number[];
  alive(): boolean;
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export async function startServer(spec: ServerSpec): Promise<RunningServer> {
  const log = openSync(spec.logPath, 'a');
  const started = performance.now();
  let child: ChildProcess;
  try {
    child = trackGroup(
      spawn(process.execPath, spec.args, { env: spec.env, stdio: ['ignore', log, log], detached: true }),
    );
  } finally {
    closeSync(log);
  }
  const pid = child.pid!;
  const server: RunningServer = {
    name: spec.name,
    pid,
    logPath: spec.logPath,
    startMs: 0,
    processes: () => processTree(pid),
    alive: () => child.exitCode === null && child.signalCode === null && isRunning(pid),
    logTail: (lines = 20) => tail(spec.logPath, lines),
    stop: () => stopProcess(child, processTree(pid).slice(1)),
  };

  const deadline = started + (spec.timeoutMs ?? 30_000);
  for (;;) {
    if (!server.alive()) {
      await server.stop();
      throw new Error(
        `${spec.name} exited before it was ready (exit ${child.exitCode ?? child.signalCode}). Its log ${spec.logPath} ends with:\n${server.logTail()}`,
      );
    }
    const status = await httpRequest(spec.readyUrl, { timeoutMs: 1000 }).then(
      (a) => a.status,
      () => 0,
    );
    if (status === 200) break;
    if (performance.now() > deadline) {
      await server.stop();
      throw new Error(
        `${spec.name} did not answer 200 on ${spec.readyUrl} within ${spec.timeoutMs ?? 30_000} ms. Log:\n${server.logTail()}`,
      );
    }
    await sleep(5);
  }
  return { ...server, startMs: performance.now() - started };
}
