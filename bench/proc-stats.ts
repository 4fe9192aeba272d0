// What /proc says about a server: its process tree, the CPU time it has used, and its memory.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let ticks: number | undefined;
/** Clock ticks per second, the unit of utime and stime in /proc/<pid>/stat (100 on Linux unless getconf says otherwise). */
function ticksPerSecond(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

function state(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2];
  } catch {
    return undefined;
  }
}

/** The process exists and is not a zombie waiting to be reaped. */
export function isRunning(pid: number): boolean {
  const s = state(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return children; // the process has exited
  }
  for (const tid of tasks) {
    try {
      const list = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (list) children.push(...list.split(/\s+/).map(Number));
    } catch {
      // the thread has exited
    }
  }
  return children;
}

/** The process and all its descendants (cluster workers and anything they started), parent first. */
export function processTree(rootPid: number): number[] {
  const tree: number[] = [];
  const queue = [rootPid];
  while (queue.length) {
    const pid = queue.shift()!;
    if (!isRunning(pid)) continue;
    tree.push(pid);
    queue.push(...childrenOf(pid));
  }
  return tree;
}

/** utime + stime of one process, all its threads included, in µs; 0 once it has exited. */
function cpuMicros(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields from the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]); // field 14
    const stime = Number(fields[12]); // field 15
    return ((utime + stime) * 1e6) / ticksPerSecond();
  } catch {
    return 0;
  }
}

export type CpuSnapshot = ReadonlyMap<number, number>;

export function cpuSnapshot(pids: readonly number[]): CpuSnapshot {
  return new Map(pids.map((pid) => [pid, cpuMicros(pid)]));
}

/** CPU µs used between two snapshots by the processes of the first one. */
export function cpuUsedMicros(before: CpuSnapshot, after: CpuSnapshot): number {
  let used = 0;
  for (const [pid, start] of before) used += Math.max(0, (after.get(pid) ?? start) - start);
  return used;
}

/** VmRSS of a process in MiB, or undefined once it has exited. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU µs the whole machine spent busy (every process and the kernel), from the first line of /proc/stat. */
export function machineBusyMicros(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number); // idle and iowait left out
  return ((user + nice + system + irq + softirq + steal) * 1e6) / ticksPerSecond();
}

/** CPU µs of this process's children that have exited and been waited for (cutime + cstime): wrk, once it is done. */
export function reapedChildrenCpuMicros(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1e6) / ticksPerSecond(); // fields 16 and 17
}

/** utime + stime of each process's main thread (tid = pid: JavaScript) and of all its other threads (thread pool, GC), µs. */
export interface ThreadSplit {
  main: number;
  other: number;
}

function threadCpuMicros(pid: number, tid: string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond();
  } catch {
    return 0;
  }
}

/** The CPU of the processes' main threads, and the rest (exited threads' time is in the process total, so `other` = total − main). */
export function threadSplit(pids: readonly number[]): ThreadSplit {
  let main = 0;
  let other = 0;
  for (const pid of pids) {
    const mainThread = threadCpuMicros(pid, String(pid));
    main += mainThread;
    other += Math.max(0, cpuMicros(pid) - mainThread);
  }
  return { main, other };
}

/** CPU µs of every thread of the processes, keyed `pid/tid`. */
export function perThreadCpu(pids: readonly number[]): Map<string, number> {
  const threads = new Map<string, number>();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) threads.set(`${pid}/${tid}`, threadCpuMicros(pid, tid));
  }
  return threads;
}
