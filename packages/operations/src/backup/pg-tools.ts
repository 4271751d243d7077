import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { currentRunScope, PgClusterError, redactUrl } from '@pgcluster/core';

/** Where PostgreSQL's client programs are looked for when `pg_config` is not on PATH. */
export const FALLBACK_PG_BINDIR = '/usr/lib/postgresql/15/bin';

/**
 * The folder of PostgreSQL's programs: `pg_config --bindir`, else {@link FALLBACK_PG_BINDIR}.
 * @example
 * ```ts
 * const pgDump = join(pgBinDir(), 'pg_dump')
 * ```
 */
export function pgBinDir(): string {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dir && existsSync(join(dir, 'pg_dump'))) return dir;
  } catch {
    /* not on PATH */
  }
  return FALLBACK_PG_BINDIR;
}

/**
 * libpq environment variables for a connection URL (host, port, user, password, database,
 * sslmode), so that credentials never appear on a command line.
 * @example
 * ```ts
 * libpqEnv('postgresql://app:pw@127.0.0.1:5433/app') // { PGHOST: '127.0.0.1', PGPORT: '5433', PGUSER: 'app', PGPASSWORD: 'pw', PGDATABASE: 'app' }
 * ```
 */
export function libpqEnv(url: string, database?: string): Record<string, string> {
  const u = new URL(url);
  const env: Record<string, string> = {
    PGHOST: u.hostname.replace(/^\[|\]$/g, ''),
    PGPORT: u.port || '5432',
    PGDATABASE: database ?? (decodeURIComponent(u.pathname.slice(1)) || 'postgres'),
    PGAPPNAME: 'pgcluster-backup',
    PGCONNECT_TIMEOUT: '10',
  };
  if (u.username) env['PGUSER'] = decodeURIComponent(u.username);
  // Security: the password travels in the child's environment only (not argv, which every
  // local user can read in /proc), and never into a message or a log line.
  if (u.password) env['PGPASSWORD'] = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env['PGSSLMODE'] = sslmode;
  return env;
}

/** One program run. */
export interface ToolRun {
  /** Absolute path of the program. */
  program: string;
  args: string[];
  /** Extra environment (libpq variables). */
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Called every 500 ms while it runs (e.g. to report the size of its output). */
  onTick?: () => void;
  /** Run as this OS user (via runuser) — for programs that must not run as root. */
  asUser?: string;
}

/** What a program printed. */
export interface ToolOutput {
  stdout: string;
  stderr: string;
}

/** How long a program may take to exit after SIGTERM before it gets SIGKILL. */
const KILL_AFTER_MS = 5_000;

/**
 * Runs a PostgreSQL program without a shell; inherits no PG* variables but the ones given.
 * The program belongs to the run it was started in (see `RunScope`): a timed-out or
 * cancelled skill run kills it. `signal` sends it SIGTERM, then SIGKILL after 5 s.
 * @throws PgClusterError `ACTION_FAILED` with the program's (redacted) stderr when it exits non-zero, `ABORTED` when cancelled.
 * @example
 * ```ts
 * await runTool({ program: join(pgBinDir(), 'pg_restore'), args: ['--list', file] })
 * ```
 */
export function runTool(run: ToolRun): Promise<ToolOutput> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG'))) as Record<string, string>;
  const env = { ...base, ...run.env };
  const [cmd, args] = run.asUser
    ? ['runuser', ['-u', run.asUser, '--', 'env', ...Object.entries(run.env ?? {}).map(([k, v]) => `${k}=${v}`), run.program, ...run.args]]
    : [run.program, run.args];
  if (run.asUser && Object.keys(run.env ?? {}).some((k) => k === 'PGPASSWORD')) {
    // Security: runuser would put the password on env's argv; callers pass it only without asUser.
    throw new PgClusterError('INTERNAL', 'refusing to pass a password through runuser');
  }
  return new Promise((resolve, reject) => {
    if (run.signal?.aborted) return reject(new PgClusterError('ABORTED', 'cancelled'));
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: '/tmp' });
    currentRunScope()?.trackProcess(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8_000)));
    const tick = run.onTick ? setInterval(run.onTick, 500) : undefined;
    let killer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS).unref();
    };
    run.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      if (tick) clearInterval(tick);
      reject(new PgClusterError('ACTION_FAILED', `${programName(run.program)} could not start: ${e.message}`, { hint: 'Install the PostgreSQL client programs (postgresql-client-15).' }));
    });
    child.on('close', (code, signal) => {
      if (tick) clearInterval(tick);
      clearTimeout(killer);
      run.signal?.removeEventListener('abort', onAbort);
      run.onTick?.();
      if (run.signal?.aborted) return reject(new PgClusterError('ABORTED', `${programName(run.program)} was cancelled`));
      if (code === 0) return resolve({ stdout, stderr });
      if (signal) return reject(new PgClusterError('ABORTED', `${programName(run.program)} was stopped by ${signal}`));
      const text = redactUrl(stderr.trim().split('\n').slice(-5).join(' | ')) || `exit code ${code}`;
      reject(new PgClusterError('ACTION_FAILED', `${programName(run.program)} failed: ${text}`));
    });
  });
}

/**
 * The command line of a run as it would be shown in a plan: the program and its arguments,
 * libpq variables by name only (never the password's value).
 * @example
 * ```ts
 * showCommand('pg_dump', ['-Fc', '-f', 'x.dump'], { PGHOST: 'h', PGPASSWORD: 's' }) // 'PGHOST=h PGPASSWORD=*** pg_dump -Fc -f x.dump'
 * ```
 */
export function showCommand(program: string, args: readonly string[], env: Record<string, string> = {}): string {
  const vars = Object.entries(env)
    .filter(([k]) => ['PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGPASSWORD'].includes(k))
    .map(([k, v]) => `${k}=${k === 'PGPASSWORD' ? '***' : v}`);
  return [...vars, programName(program), ...args].join(' ');
}

function programName(path: string): string {
  return path.split('/').pop() ?? path;
}

/**
 * SHA-256 of a file, streamed.
 * @example
 * ```ts
 * const hex = await sha256File('/backups/x/app.dump')
 * ```
 */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => hash.update(d))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/**
 * SHA-256 over the sorted `name sha256` lines of a set of files: one checksum for a backup.
 * @example
 * ```ts
 * combinedSha256([{ name: 'a.dump', sha256: '…' }])
 * ```
 */
export function combinedSha256(files: readonly { name: string; sha256: string }[]): string {
  const lines = files.map((f) => `${f.name} ${f.sha256}`).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

/**
 * Bytes under a path (a file, or a folder recursively); 0 when it does not exist.
 * @example
 * ```ts
 * sizeOf('/backups/x') // 25165824
 * ```
 */
export function sizeOf(path: string): number {
  try {
    const st = statSync(path);
    if (!st.isDirectory()) return st.size;
    return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
  } catch {
    return 0;
  }
}
