import { existsSync, readFileSync, statSync, writeFileSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { withClient } from '../connection/connect';
import { PgClusterError } from '../errors/pgcluster-error';
import { prepareDataDirStart, runningPostmaster, type PostmasterLockOptions } from './postmaster-locks';
import { standbyConninfo, writeStandbyConfig } from './standby-config';

/**
 * Runs one of PostgreSQL's server programs (pg_ctl, pg_rewind, pg_controldata) by name, as the
 * server's OS user when we are root; resolves with its stdout. Each caller brings its own
 * (the test fixture's runner, operations' tool runner): core spawns nothing by itself.
 */
export type ServerProgramRunner = (program: string, args: readonly string[], env?: Record<string, string>) => Promise<string>;

/** Options of {@link startDataDir}. */
export interface StartDataDirOptions extends PostmasterLockOptions {
  run: ServerProgramRunner;
  /** The server log (`pg_ctl -l`). */
  logFile: string;
  /** A name for messages (e.g. the node's). */
  label?: string;
  /** `pg_ctl -t`: seconds to wait for the server to accept connections; default 60. */
  timeoutS?: number;
  signal?: AbortSignal;
}

/**
 * Starts a PostgreSQL data directory with `pg_ctl start -w`, after {@link prepareDataDirStart}
 * cleared the lock files of a killed (possibly still unreaped) postmaster. The one way every
 * package starts a node: the test fixture, `pgcluster dev`, failover's rejoin and restore.
 *
 * @throws PgClusterError `ACTION_FAILED` with the reason a start was refused, or the server
 *   log's last lines when PostgreSQL did not come up.
 * @example
 * ```ts
 * await startDataDir(dataDir, { run, logFile: join(nodeDir, 'server.log'), label: 'node1' })
 * ```
 */
export async function startDataDir(dataDir: string, options: StartDataDirOptions): Promise<void> {
  const label = options.label ?? dataDir;
  await prepareDataDirStart(dataDir, options);
  try {
    await options.run('pg_ctl', ['start', '-D', dataDir, '-l', options.logFile, '-w', '-t', String(options.timeoutS ?? 60), '-s']);
  } catch (error) {
    throw new PgClusterError('ACTION_FAILED', `${label} did not start: ${tail(options.logFile, 3)}`, {
      hint: `The whole server log is ${options.logFile}.`,
      cause: error,
    });
  }
}

/**
 * Stops a data directory's server when one runs (`pg_ctl stop -m fast -w`); nothing to do otherwise.
 * @returns whether a server was running.
 * @example await stopDataDir(dataDir, run)
 */
export async function stopDataDir(dataDir: string, run: ServerProgramRunner): Promise<boolean> {
  if (runningPostmaster(dataDir) === undefined) return false;
  await run('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60', '-s']);
  return true;
}

/** Options of {@link rejoinAsStandby}. */
export interface RejoinStandbyOptions {
  run: ServerProgramRunner;
  /** The primary to follow; its URL's password is used only to connect from here (a checkpoint), never written. */
  sourceUrl: string;
  /** The libpq password file the server's user reads the replication password from. */
  passfile: string;
  /** The name the primary knows this node by (application_name). */
  applicationName: string;
  /** Its replication slot on the primary. */
  slot: string;
  /** `pg_rewind` from the primary first (needed when the node diverged: a failed-over primary). */
  rewind: boolean;
  logFile: string;
  label?: string;
  signal?: AbortSignal;
}

/**
 * Brings a node back as a standby of `sourceUrl`: stops it when it runs, clears stale lock
 * files, optionally `pg_rewind`s it (keeping its own configuration files, which pg_rewind
 * would overwrite with the source's), points `primary_conninfo` (no password: a `passfile`)
 * and `primary_slot_name` at the source, writes `standby.signal` and starts it.
 *
 * @returns whether pg_rewind changed anything (false when it found no divergence, or did not run).
 * @example
 * ```ts
 * await rejoinAsStandby(dataDir, { run, sourceUrl: node2Url, passfile, applicationName: 'node1', slot: 'node1', rewind: true, logFile })
 * ```
 */
export async function rejoinAsStandby(dataDir: string, options: RejoinStandbyOptions): Promise<{ rewound: boolean }> {
  const label = options.label ?? dataDir;
  await stopDataDir(dataDir, options.run);
  // pg_rewind's own crash recovery (a single-user postgres) would refuse a killed postmaster's lock file.
  await prepareDataDirStart(dataDir, { label, ...(options.signal ? { signal: options.signal } : {}) });
  const u = new URL(options.sourceUrl);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = u.port || '5432';
  const user = decodeURIComponent(u.username);
  let rewound = false;
  if (options.rewind) {
    // pg_rewind reads the source's timeline from its control file, which a fast promotion updates only at the
    // next checkpoint: without one it would find both on the same timeline and rewind nothing.
    await withClient({ url: options.sourceUrl, connectTimeoutMs: 5_000 }, `checkpoint on the new primary of ${label}`, (c) => c.query('checkpoint'));
    const owner = statSync(dataDir);
    const CONFIG_FILES = ['postgresql.conf', 'postgresql.auto.conf', 'pg_hba.conf', 'pg_ident.conf'];
    const saved = new Map(CONFIG_FILES.filter((f) => existsSync(join(dataDir, f))).map((f) => [f, readFileSync(join(dataDir, f))]));
    try {
      const source = `host=${host} port=${port} user=${user} dbname=postgres connect_timeout=10`;
      // Security: the password reaches pg_rewind through the passfile, never its argv or environment.
      const out = await options.run('pg_rewind', ['--target-pgdata', dataDir, '--source-server', source], { PGPASSFILE: options.passfile });
      rewound = !/no rewind required/i.test(out);
    } finally {
      for (const [file, content] of saved) {
        writeFileSync(join(dataDir, file), content, { mode: 0o600 });
        chownSync(join(dataDir, file), owner.uid, owner.gid);
      }
    }
  }
  writeStandbyConfig(dataDir, {
    conninfo: standbyConninfo({ host, port, user, passfile: options.passfile, applicationName: options.applicationName }),
    slot: options.slot,
  });
  await startDataDir(dataDir, { run: options.run, logFile: options.logFile, label, ...(options.signal ? { signal: options.signal } : {}) });
  return { rewound };
}

/**
 * The latest checkpoint's location and timeline of a stopped data directory (`pg_controldata`).
 * @example await controlData(dataDir, run) // { checkpointLsn: 0x3000028n, timeline: 2, state: 'shut down' }
 */
export async function controlData(dataDir: string, run: ServerProgramRunner): Promise<{ checkpointLsn: bigint; timeline: number; state: string }> {
  const out = await run('pg_controldata', ['-D', dataDir], { LC_ALL: 'C' });
  const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(out)?.[1]?.trim() ?? '';
  const [hi, lo] = field('Latest checkpoint location').split('/');
  return {
    checkpointLsn: (BigInt(`0x${hi || '0'}`) << 32n) + BigInt(`0x${lo || '0'}`),
    timeline: Number(field("Latest checkpoint's TimeLineID")),
    state: field('Database cluster state'),
  };
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join(' | ');
  } catch {
    return `(no log at ${file})`;
  }
}
