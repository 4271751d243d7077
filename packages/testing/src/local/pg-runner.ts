import { execFile, spawnSync } from 'node:child_process';
import { chownSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { PgClusterError, redactUrl } from '@pgcluster/core';

/** Where PostgreSQL's binaries are looked for when `pg_config` does not answer. */
export const FALLBACK_PG_BINDIR = '/usr/lib/postgresql/15/bin';

/** The OS user PostgreSQL runs as when we are root (the server refuses to run as root). */
export const SERVER_OS_USER = 'postgres';

/** Options of one {@link PgRunner.run}. */
export interface PgRunOptions {
  /** Extra environment variables (e.g. `PGPASSWORD`); never logged. */
  env?: Record<string, string>;
  /** Give up after this long; default 120,000 ms. */
  timeoutMs?: number;
}

/**
 * Runs PostgreSQL's programs (initdb, pg_ctl, pg_basebackup) from one bin directory, as the
 * `postgres` OS user when the current process is root, and hands files to that user.
 *
 * @example
 * ```ts
 * const pg = createPgRunner()
 * await pg.run('pg_ctl', ['start', '-D', dataDir, '-l', logFile, '-w'])
 * ```
 */
export interface PgRunner {
  /** The directory holding initdb, pg_ctl, … */
  readonly binDir: string;
  /** True when programs run as the `postgres` OS user (we are root). */
  readonly asServerUser: boolean;
  /** Runs `<binDir>/<program> args…`; resolves with stdout, rejects with a PgClusterError carrying stderr's tail. */
  run(program: string, args: readonly string[], options?: PgRunOptions): Promise<string>;
  /** Gives `path` to the server's OS user (nothing to do unless {@link PgRunner.asServerUser}). */
  own(path: string): void;
  /** Whether the server's OS user can enter `dir` (every folder above it included). */
  canEnter(dir: string): boolean;
}

/**
 * Finds PostgreSQL's bin directory: `pg_config --bindir` when it holds `initdb`, else
 * {@link FALLBACK_PG_BINDIR}.
 *
 * @throws PgClusterError `NOT_SUPPORTED` when neither has `initdb`.
 * @example
 * ```ts
 * findPgBinDir() // '/usr/lib/postgresql/15/bin'
 * ```
 */
export function findPgBinDir(): string {
  const fromPgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8', timeout: 5_000 });
  const candidates = [fromPgConfig.status === 0 ? fromPgConfig.stdout.trim() : '', FALLBACK_PG_BINDIR];
  const found = candidates.find((dir) => dir && existsSync(join(dir, 'initdb')));
  if (!found) {
    throw new PgClusterError('NOT_SUPPORTED', 'PostgreSQL server binaries (initdb, pg_ctl) were not found', {
      hint: `Install postgresql-15 (its bin directory is ${FALLBACK_PG_BINDIR}), or put pg_config on PATH.`,
    });
  }
  return found;
}

/**
 * Creates a {@link PgRunner} for this process: as root it runs programs through
 * `runuser -u postgres --` and chowns files to that user.
 *
 * @example
 * ```ts
 * const pg = createPgRunner()
 * if (pg.asServerUser && !pg.canEnter('/root/project')) console.error('postgres cannot enter it')
 * ```
 */
export function createPgRunner(binDir: string = findPgBinDir()): PgRunner {
  const asServerUser = process.getuid?.() === 0;
  const ids = asServerUser ? serverUserIds() : undefined;

  return {
    binDir,
    asServerUser,
    run(program, args, options = {}) {
      const path = join(binDir, program);
      const [file, argv] = asServerUser ? ['runuser', ['-u', SERVER_OS_USER, '--', path, ...args]] : [path, [...args]];
      return new Promise((resolve, reject) => {
        // cwd '/': the server's OS user may not be allowed into the caller's working directory.
        execFile(
          file,
          argv,
          { cwd: '/', env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 120_000, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
          (error, stdout, stderr) => {
            if (!error) return resolve(stdout);
            const tail = stderr.trim().split('\n').slice(-6).join('\n') || error.message;
            // Security: stderr of libpq programs can echo a connection string; passwords are stripped.
            reject(new PgClusterError('ACTION_FAILED', `${program} ${args[0] ?? ''} failed: ${redactUrl(tail)}`, { cause: error }));
          },
        );
      });
    },
    own(path) {
      if (ids) chownSync(path, ids.uid, ids.gid);
    },
    canEnter(dir) {
      if (!asServerUser) return true;
      return spawnSync('runuser', ['-u', SERVER_OS_USER, '--', 'test', '-x', dir], { cwd: '/', timeout: 5_000 }).status === 0;
    },
  };
}

function serverUserIds(): { uid: number; gid: number } {
  const id = (flag: string) => spawnSync('id', [flag, SERVER_OS_USER], { encoding: 'utf8', timeout: 5_000 });
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) {
    throw new PgClusterError('NOT_SUPPORTED', `running as root needs a "${SERVER_OS_USER}" OS user to run PostgreSQL as (it refuses to run as root)`, {
      hint: 'Install the postgresql-15 package (it creates the user), or run as an unprivileged user.',
    });
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}
