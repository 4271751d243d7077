import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { PgClusterError } from '@pgcluster/core';
import { SERVER_OS_USER } from '../local/pg-runner';
import { signal, sleep } from '../local/postmaster';

/** Options of {@link spawnDaemon}. */
export interface SpawnDaemonOptions {
  /** stdout and stderr are appended here. */
  logFile: string;
  /** Run as the `postgres` OS user (we are root; etcd, Patroni and PgBouncer then own their files as it does). */
  asServerUser: boolean;
  /** Extra environment (never logged). */
  env?: Record<string, string>;
  /** The working directory; default `/`. */
  cwd?: string;
}

/**
 * Starts a long-running program detached from this process (its own session, output to a log
 * file) and returns its pid. As root it runs as the `postgres` OS user, set on the process
 * itself (no `runuser` in between), so the pid is the program's own.
 *
 * @example
 * ```ts
 * const pid = spawnDaemon('/usr/bin/etcd', ['--data-dir', dir], { logFile, asServerUser: true })
 * ```
 */
export function spawnDaemon(program: string, args: readonly string[], options: SpawnDaemonOptions): number {
  const fd = openSync(options.logFile, 'a', 0o640);
  try {
    const ids = options.asServerUser ? serverUserIds() : undefined;
    const child = spawn(program, [...args], {
      cwd: options.cwd ?? '/',
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...(ids ? { HOME: ids.home, USER: SERVER_OS_USER, LOGNAME: SERVER_OS_USER } : {}), ...options.env },
      ...(ids ? { uid: ids.uid, gid: ids.gid } : {}),
    });
    child.unref();
    if (child.pid === undefined) throw new PgClusterError('ACTION_FAILED', `${program} did not start`);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether `pid` runs and is not a zombie (and, when `program` is given, its command line mentions it).
 * @example isProcessAlive(1234, 'patroni') // true
 */
export function isProcessAlive(pid: number | undefined, program?: string): boolean {
  if (pid === undefined || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!existsSync('/proc/self')) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    return program === undefined || readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(program);
  } catch {
    return false;
  }
}

/**
 * Sends SIGTERM, waits up to `graceMs`, then SIGKILLs and waits until the process is gone.
 * @example await terminate(pid, 'etcd')
 */
export async function terminate(pid: number | undefined, program: string, graceMs = 15_000): Promise<void> {
  if (!isProcessAlive(pid, program)) return;
  signal(pid!, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isProcessAlive(pid, program) && Date.now() < deadline) await sleep(50);
  if (!isProcessAlive(pid, program)) return;
  signal(pid!, 'SIGKILL');
  const hard = Date.now() + 5_000;
  while (isProcessAlive(pid, program) && Date.now() < hard) await sleep(50);
}

function serverUserIds(): { uid: number; gid: number; home: string } {
  const out = spawnSync('getent', ['passwd', SERVER_OS_USER], { encoding: 'utf8', timeout: 5_000 });
  const fields = out.status === 0 ? out.stdout.trim().split(':') : [];
  if (fields.length < 6) {
    throw new PgClusterError('NOT_SUPPORTED', `running as root needs a "${SERVER_OS_USER}" OS user to run the servers as`, {
      hint: 'Install the postgresql-15 package (it creates the user), or run as an unprivileged user.',
    });
  }
  return { uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5]! };
}
