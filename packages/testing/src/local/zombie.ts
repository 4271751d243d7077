import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { lockHolderState } from '@pgcluster/core';

/** A real zombie process and the live process that keeps it unreaped. */
export interface Zombie {
  /** The zombie's PID (`/proc/<pid>/stat` state Z until {@link Zombie.release}). */
  pid: number;
  /** The PID of its parent, a live `sleep` that never waits for it (a live process that is not PostgreSQL). */
  holderPid: number;
  /** Kills the parent; init then reaps the zombie. */
  release(): Promise<void>;
}

/**
 * Makes a real zombie, as a slow-reaping PID 1 leaves a SIGKILLed postmaster: a child that has
 * exited and whose parent never waits for it. Deterministic: the child exits only once its
 * parent shell has exec'd `sleep`, so the shell can never reap it first.
 *
 * @example
 * ```ts
 * const zombie = await startZombie()
 * try { plantLockPid(dataDir, zombie.pid); await cluster.restart('node2') } finally { await zombie.release() }
 * ```
 */
export async function startZombie(): Promise<Zombie> {
  const script = 'p=$$; (while [ "$(cat /proc/$p/comm)" != sleep ]; do sleep 0.01; done) & echo $!; exec sleep 600';
  const holder = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
  const release = async () => {
    holder.kill('SIGKILL');
    await exited;
  };
  const pid = Number(await new Promise<string>((resolve) => createInterface({ input: holder.stdout! }).once('line', resolve)));
  for (let i = 0; i < 400 && lockHolderState(pid) !== 'zombie'; i += 1) await new Promise((r) => setTimeout(r, 25));
  if (lockHolderState(pid) !== 'zombie') {
    await release();
    throw new Error(`PID ${pid} did not become a zombie`);
  }
  return { pid, holderPid: holder.pid!, release };
}

/**
 * Writes `pid` into the lock files a killed postmaster leaves in `dataDir` — `postmaster.pid`
 * and its unix socket's `.s.PGSQL.<port>.lock` (socket folder and port from postmaster.pid) —
 * and returns the files it changed. `which` picks one: `pidfile` or `socket`.
 *
 * @example plantLockPid(node.dataDir, zombie.pid) // ['…/data/postmaster.pid', '…/node1/.s.PGSQL.54321.lock']
 */
export function plantLockPid(dataDir: string, pid: number, which: 'both' | 'pidfile' | 'socket' = 'both'): string[] {
  const pidFile = join(dataDir, 'postmaster.pid');
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const socketLock = lines[4]?.trim() ? join(lines[4].trim(), `.s.PGSQL.${lines[3]!.trim()}.lock`) : undefined;
  const files = [...(which !== 'socket' ? [pidFile] : []), ...(which !== 'pidfile' && socketLock && existsSync(socketLock) ? [socketLock] : [])];
  for (const f of files) {
    const rest = readFileSync(f, 'utf8').split('\n').slice(1);
    writeFileSync(f, [String(pid), ...rest].join('\n'));
  }
  return files;
}
