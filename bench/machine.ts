// What the benchmarks say about the machine and the build they measure.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { machineBusyMicros } from './proc-stats.js';

export function cpuModel(): string {
  const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return match ? match[1].trim() : 'unknown CPU';
}

export const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

export function gatehouseVersion(root: string): string {
  try {
    const commit = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim();
    return dirty ? `${commit} with uncommitted changes in src/` : commit;
  } catch {
    return `in ${root} (not a git work tree)`;
  }
}

export const percent = (share: number) => `${(share * 100).toFixed(0)} %`;

/**
 * How busy the machine is before a benchmark starts anything: one second of /proc/stat. Prints a warning
 * above 10 % of the cores and returns the share.
 */
export async function warnIfBusy(cores: number): Promise<number> {
  const before = machineBusyMicros();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const share = (machineBusyMicros() - before) / (cores * 1e6);
  if (share > 0.1) {
    console.log(
      `Warning: other programs are using ${percent(share)} of the cores before the benchmark starts; its figures will be lower and noisier.`,
    );
  }
  return share;
}
