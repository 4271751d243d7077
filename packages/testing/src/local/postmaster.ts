import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The postmaster's pid from `<dataDir>/postmaster.pid`, or undefined when there is none.
 * @example readPostmasterPid('/tmp/pgcluster-x/node1/data') // 12345
 */
export function readPostmasterPid(dataDir: string): number | undefined {
  const path = join(dataDir, 'postmaster.pid');
  if (!existsSync(path)) return undefined;
  try {
    const pid = Number(readFileSync(path, 'utf8').split('\n', 1)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether `pid` is a live PostgreSQL process (not a zombie, and, where /proc exists, a
 * `postgres` program: a stale pid file's pid may have been reused).
 * @example isPostgresAlive(12345) // true
 */
export function isPostgresAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const proc = `/proc/${pid}`;
  if (!existsSync('/proc/self')) return true;
  try {
    const stat = readFileSync(join(proc, 'stat'), 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    return /postgres|postmaster/.test(readFileSync(join(proc, 'cmdline'), 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The pids whose parent is `pid` (a postmaster's backends and auxiliary processes), from /proc.
 * @example childPids(12345) // [12346, 12347, …]
 */
export function childPids(pid: number): number[] {
  if (!existsSync('/proc/self')) return [];
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/**
 * SIGKILLs a postmaster and returns its children's pids (they exit by themselves once
 * their postmaster is gone; {@link waitUntilGone} waits for that).
 * @example const children = killPostmaster(pid)
 */
export function killPostmaster(pid: number): number[] {
  const children = childPids(pid);
  signal(pid, 'SIGKILL');
  return children;
}

/**
 * Waits until every pid is gone; SIGKILLs what is left after `graceMs`, then waits again.
 * @example await waitUntilGone([pid, ...children])
 */
export async function waitUntilGone(pids: readonly number[], graceMs = 5_000): Promise<void> {
  const alive = () => pids.filter((p) => isPostgresAlive(p));
  const deadline = Date.now() + graceMs;
  while (alive().length > 0 && Date.now() < deadline) await sleep(50);
  for (const p of alive()) signal(p, 'SIGKILL');
  const hardDeadline = Date.now() + 5_000;
  while (alive().length > 0 && Date.now() < hardDeadline) await sleep(50);
}

/** Sends a signal, ignoring a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
