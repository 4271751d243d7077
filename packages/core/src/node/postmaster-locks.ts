import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { PgClusterError } from '../errors/pgcluster-error';

/**
 * What a PID recorded in a PostgreSQL lock file is now:
 * - `postgres`: a live PostgreSQL process (it holds the lock; never touch its files),
 * - `zombie`: it exited but its parent has not reaped it yet (`/proc/<pid>/stat` state `Z`);
 *   PostgreSQL's own check (`kill(pid, 0)`) still takes it for alive,
 * - `gone`: no such process,
 * - `other`: a live process of another program (the PID was reused).
 */
export type LockHolderState = 'postgres' | 'zombie' | 'gone' | 'other';

/** One lock file of a data directory: `postmaster.pid` or a unix socket's `.s.PGSQL.<port>.lock`. */
export interface PostmasterLock {
  /** Absolute path of the lock file. */
  path: string;
  /** The PID on its first line (undefined when unreadable: a half-written file). */
  pid: number | undefined;
  state: LockHolderState;
  /** For `postgres`: its working directory (a postmaster's is its data directory), when readable. */
  cwd?: string;
}

/** Options of {@link inspectPostmasterLocks} and {@link prepareDataDirStart}. */
export interface PostmasterLockOptions {
  /** The port the server will listen on; default from `postmaster.pid`, else the configuration files, else 5432. */
  port?: number;
  /** The unix socket folders; default from `postmaster.pid`, else `unix_socket_directories` in the configuration files. */
  socketDirs?: readonly string[];
}

/**
 * Classifies a PID: a live postgres, a zombie, gone, or another program.
 * @example lockHolderState(12345) // 'zombie'
 */
export function lockHolderState(pid: number): LockHolderState {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return 'gone';
  }
  const stat = readProc(pid, 'stat');
  if (stat === undefined) return existsSync('/proc/self') ? 'gone' : 'postgres'; // no /proc: trust kill(0)
  if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return 'zombie';
  const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const cmdline = readProc(pid, 'cmdline') ?? '';
  return /^(postgres|postmaster)$/.test(comm) || /(^|\/)(postgres|postmaster)(\0|\s|$)/.test(cmdline) ? 'postgres' : 'other';
}

/**
 * Every lock file that guards `dataDir`: `postmaster.pid` and the socket lock
 * `.s.PGSQL.<port>.lock` in each socket folder, with what its PID is now.
 *
 * @example
 * ```ts
 * inspectPostmasterLocks('/var/lib/postgresql/15/main') // [{ path: '…/postmaster.pid', pid: 812, state: 'zombie' }, …]
 * ```
 */
export function inspectPostmasterLocks(dataDir: string, options: PostmasterLockOptions = {}): PostmasterLock[] {
  const pidFile = join(dataDir, 'postmaster.pid');
  const lines = readLines(pidFile);
  const conf = readServerSettings(dataDir);
  const port = options.port ?? numberOr(lines?.[3], undefined) ?? numberOr(conf.get('port'), 5432)!;
  const socketDirs = options.socketDirs ?? socketDirsOf(lines?.[4], conf.get('unix_socket_directories'), dataDir);
  const files = [pidFile, ...socketDirs.map((d) => join(d, `.s.PGSQL.${port}.lock`))];
  return files.filter((f) => existsSync(f)).map((path) => describeLock(path));
}

/**
 * The live postmaster of `dataDir`, or undefined when none runs (no `postmaster.pid`, or its
 * PID is gone, a zombie or another program).
 * @example runningPostmaster(dataDir) // 1234 | undefined
 */
export function runningPostmaster(dataDir: string): number | undefined {
  const path = join(dataDir, 'postmaster.pid');
  if (!existsSync(path)) return undefined;
  const lock = describeLock(path);
  if (lock.state !== 'postgres') return undefined;
  // A postmaster's working directory is its data directory: a live postgres elsewhere reused the PID.
  if (lock.cwd !== undefined && lock.cwd !== safeRealpath(dataDir)) return undefined;
  return lock.pid;
}

/** Options of {@link prepareDataDirStart}. */
export interface PrepareStartOptions extends PostmasterLockOptions {
  /** How long to wait for a postgres that is still exiting (a SIGKILLed postmaster's children); default 15,000 ms. */
  waitMs?: number;
  /** A name for messages (e.g. the node's). */
  label?: string;
  signal?: AbortSignal;
}

/**
 * Makes a data directory startable after an unclean stop: waits (within `waitMs`) for
 * postgres processes still holding its lock files to exit, then removes the lock files whose
 * PID is gone or an unreaped zombie (PostgreSQL would take a zombie for a live postmaster and
 * refuse: "lock file … already exists"). Returns the files it removed.
 *
 * @throws PgClusterError `ACTION_FAILED` naming the file, the PID and what it is when a live
 *   postgres still holds a lock after `waitMs`, or a live process of another program holds one
 *   (nothing is removed then).
 * @example
 * ```ts
 * await prepareDataDirStart(dataDir, { label: 'node1' })
 * await pgCtl(['start', '-D', dataDir, '-w'])
 * ```
 */
export async function prepareDataDirStart(dataDir: string, options: PrepareStartOptions = {}): Promise<string[]> {
  const label = options.label ?? dataDir;
  const deadline = Date.now() + (options.waitMs ?? 15_000);
  for (;;) {
    const locks = inspectPostmasterLocks(dataDir, options);
    const other = locks.find((l) => l.state === 'other');
    if (other) {
      throw new PgClusterError('ACTION_FAILED', `${label} cannot start: ${other.path} names PID ${other.pid}, a running ${programOf(other.pid!)} process that is not PostgreSQL`, {
        hint: `If no server runs on ${dataDir}, the PID was reused: remove ${other.path} and start again.`,
      });
    }
    const live = locks.filter((l) => l.state === 'postgres');
    if (live.length === 0) {
      const stale = locks.filter((l) => l.state === 'zombie' || l.state === 'gone');
      for (const l of stale) {
        rmSync(l.path, { force: true });
        // The socket beside a stale socket lock is stale too.
        if (l.path.endsWith('.lock')) rmSync(l.path.slice(0, -'.lock'.length), { force: true });
      }
      return stale.map((l) => l.path);
    }
    if (Date.now() >= deadline || options.signal?.aborted) {
      const l = live[0]!;
      const where = l.cwd !== undefined && l.cwd !== safeRealpath(dataDir) ? ` (the server of ${l.cwd})` : '';
      throw new PgClusterError('ACTION_FAILED', `${label} cannot start: ${l.path} is held by PID ${l.pid}, a live PostgreSQL process${where}`, {
        hint: where ? 'Another server uses this port or socket: stop it or give this node another port.' : `A server still runs on ${dataDir}: stop it first (pg_ctl stop -D ${dataDir}).`,
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The PIDs whose parent is `pid` (a postmaster's backends and auxiliary processes), from /proc.
 * @example childPids(12345) // [12346, 12347, …]
 */
export function childPids(pid: number): number[] {
  if (!existsSync('/proc/self')) return [];
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProc(Number(entry), 'stat');
    if (stat !== undefined && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
  }
  return children;
}

/**
 * Waits until none of `pids` is a live postgres any more (gone or a zombie); SIGKILLs what is
 * left after `graceMs`, then waits up to 5 s more.
 * @example await waitUntilGone([pid, ...childPids(pid)])
 */
export async function waitUntilGone(pids: readonly number[], graceMs = 5_000): Promise<void> {
  const alive = () => pids.filter((p) => lockHolderState(p) === 'postgres');
  for (const [limit, kill] of [[graceMs, true], [5_000, false]] as const) {
    const deadline = Date.now() + limit;
    while (alive().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!kill) return;
    for (const p of alive()) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}

function describeLock(path: string): PostmasterLock {
  const pid = numberOr(readLines(path)?.[0], undefined);
  if (pid === undefined || pid <= 0) return { path, pid: undefined, state: 'gone' };
  const state = lockHolderState(pid);
  if (state !== 'postgres') return { path, pid, state };
  let cwd: string | undefined;
  try {
    cwd = readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    // Another user's process (we are not root): its folder is not ours to read.
  }
  return { path, pid, state, ...(cwd !== undefined ? { cwd } : {}) };
}

/** `port` and `unix_socket_directories` from postgresql.conf then postgresql.auto.conf (last wins; includes are not followed). */
function readServerSettings(dataDir: string): Map<string, string> {
  const settings = new Map<string, string>();
  for (const file of ['postgresql.conf', 'postgresql.auto.conf']) {
    for (const line of readLines(join(dataDir, file)) ?? []) {
      const m = /^\s*(port|unix_socket_directories)\s*=?\s*(?:'((?:[^']|'')*)'|([^\s#]+))/.exec(line);
      if (m) settings.set(m[1]!, m[2] !== undefined ? m[2].replace(/''/g, "'") : m[3]!);
    }
  }
  return settings;
}

function socketDirsOf(fromPidFile: string | undefined, fromConf: string | undefined, dataDir: string): string[] {
  const dirs = fromConf !== undefined ? fromConf.split(',').map((d) => d.trim()) : fromPidFile ? [] : ['/var/run/postgresql'];
  if (fromPidFile?.trim()) dirs.push(fromPidFile.trim());
  return [...new Set(dirs.filter((d) => d !== '' && !d.startsWith('@')).map((d) => (isAbsolute(d) ? d : join(dataDir, d))))];
}

function readLines(path: string): string[] | undefined {
  try {
    return readFileSync(path, 'utf8').split('\n');
  } catch {
    return undefined;
  }
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

function programOf(pid: number): string {
  const stat = readProc(pid, 'stat');
  return stat ? `"${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}"` : 'unknown';
}

function numberOr(text: string | undefined, fallback: number | undefined): number | undefined {
  const n = Number(text?.trim());
  return text !== undefined && text.trim() !== '' && Number.isInteger(n) ? n : fallback;
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
