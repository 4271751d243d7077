import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { childPids, lockHolderState } from '@pgcluster/core';

export { childPids, waitUntilGone } from '@pgcluster/core';

/**
 * The PID in `<dataDir>/postmaster.pid`, live or not, or undefined when there is none
 * (`runningPostmaster` of @pgcluster/core says whether it runs).
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
 * Whether `pid` is a live PostgreSQL process (not a zombie, not another program).
 * @example isPostgresAlive(12345) // true
 */
export function isPostgresAlive(pid: number): boolean {
  return lockHolderState(pid) === 'postgres';
}

/**
 * SIGKILLs a postmaster and returns its children's pids (they exit by themselves once
 * their postmaster is gone; `waitUntilGone` waits for that).
 * @example const children = killPostmaster(pid)
 */
export function killPostmaster(pid: number): number[] {
  const children = childPids(pid);
  signal(pid, 'SIGKILL');
  return children;
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
