/**
 * CPU time of processes for compare-etcd's "CPU µs per put" columns: other processes' user+system time
 * from `/proc/<pid>/stat` (Linux), this process's from `process.cpuUsage()`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** clockTicks returns the kernel's clock ticks per second (`getconf CLK_TCK`, 100 when unknown). */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim());
      ticksPerSecond = Number.isFinite(n) && n > 0 ? n : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** processCpuUs returns the user+system CPU time of process `pid` in microseconds, or undefined when it cannot be read. */
export function processCpuUs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may hold spaces and parentheses): state is field 3, utime 14, stime 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1e6) / clockTicks();
}

/** selfCpuUs returns this process's user+system CPU time in microseconds. */
export function selfCpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}
