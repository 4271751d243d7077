import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureStateSubdir, forgetServer, InputError, PgClusterError, recordServer, RefusedError, startDataDir, stopDataDir, withClient } from '@pgcluster/core';
import type { TopologyMember } from '@pgcluster/pools';
import pg from 'pg';
import { backupsDir, findBackup, type BackupRecord } from './backup-catalogue';
import { maintenanceUrl, quoteDatabase, resolvePrimary, type BackupContext } from './backup-context';
import { libpqEnv, pgBinDir, runTool, sizeOf } from './pg-tools';
import { recordRestore } from './restore-journal';
import { verifyBackup } from './verify-backup';
import { serverRunner } from '../failover/local-node';
import { finishRecovery, writeRecoveryConfig, type RecoveryPoint, type RecoveryTarget } from './point-in-time';

/** What to restore and where. */
export interface RestoreBackupOptions {
  /** The backup's id (see `listBackups`). */
  id: string;
  /** Logical: which database of the backup; needed only when it holds more than one. */
  database?: string;
  /**
   * Logical: the database to restore into. A new one is created (default `<database>_restored_<time>`);
   * an existing one is replaced only with `confirm`, and its previous contents are kept as
   * `<name>_pre_<suffix>` unless `keepPrevious` is false.
   */
  target?: string;
  /** Needed to replace an existing database. */
  confirm?: boolean;
  /** Logical, replacing: keep the replaced database under another name (default true), so the restore can be undone. */
  keepPrevious?: boolean;
  /** Physical: an absolute, absent or empty folder for the new data directory; default `<stateDir>/restores/<id>-<suffix>`. */
  dataDir?: string;
  /** Physical: start the restored copy as a new, independent node. */
  start?: boolean;
  /** Physical, with start: the port; default a free one. */
  port?: number;
  /** Logical: the audit id of the run doing it, kept in the restore journal so that undoing it is linked to that run. */
  auditId?: string;
  /** Physical: the caller verified the backup just now (a drill); skip the second read. */
  verified?: boolean;
  /**
   * Physical: recover to a point in time with WAL from this archive (implies start). With `hold`,
   * the copy is left paused at the target, not promoted (a replace stops it and promotes it in the primary's place).
   */
  recovery?: { archiveDir: string; target: RecoveryTarget; hold?: boolean };
}

/** The result of {@link restoreBackup}. */
export interface RestoreResult {
  id: string;
  kind: 'logical' | 'physical';
  /** Logical: the database restored from, and the one restored into. */
  database?: string;
  target?: string;
  /** Logical: true when the target was created by this restore. */
  created?: boolean;
  /** Logical, replacing: the name the replaced database now has (when kept). */
  previousDatabase?: string;
  /** Logical: this restore's id in the restore journal (`undoRestore` takes it). */
  restoreId?: string;
  /** Physical: the new data directory, and the new node when started. */
  dataDir?: string;
  started?: boolean;
  port?: number;
  /** Physical, point in time: the point reached. */
  recovery?: RecoveryPoint;
  /** Physical, started: milliseconds from the start of the restore until the node accepted writes (the recovery time). */
  rtoMs?: number;
  /** How to undo it, in words; the skill turns it into a rollback record. */
  undo: string;
  bytes: number;
  durationMs: number;
}

/**
 * Restores a catalogued backup after verifying it (checksums and tool checks; a corrupted
 * backup is refused before anything changes).
 * - **logical**: into a new database (created from `template0`; dropped again if `pg_restore`
 *   fails), or, with `confirm`, into an existing one: the dump is restored into a fresh
 *   database first and swapped in by renaming only when it succeeded, so a failed restore
 *   leaves the existing database untouched.
 * - **physical**: into a new data directory (owned by `postgres` when we run as root),
 *   optionally started as a new, independent node on a free loopback port.
 * @throws RefusedError when the target exists and `confirm` is not set (nothing changed).
 * @example
 * ```ts
 * const r = await restoreBackup({ config, stateDir }, { id, database: 'app', target: 'app_check' })
 * // r.undo: 'drop database "app_check"'
 * ```
 */
export async function restoreBackup(ctx: BackupContext, options: RestoreBackupOptions): Promise<RestoreResult> {
  const record = findBackup(ctx.stateDir, options.id);
  return record.kind === 'logical' ? restoreLogical(ctx, record, options) : restorePhysical(ctx, record, options);
}

async function restoreLogical(ctx: BackupContext, record: BackupRecord, options: RestoreBackupOptions): Promise<RestoreResult> {
  const started = Date.now();
  if (options.dataDir !== undefined || options.start === true || options.port !== undefined) {
    throw new InputError('dataDir', 'dataDir, start and port apply to physical backups only');
  }
  const database = options.database ?? (record.databases.length === 1 ? record.databases[0]! : undefined);
  if (!database) throw new InputError('database', `the backup holds ${record.databases.join(', ')}; say which one to restore`);
  const file = record.files.find((f) => f.database === database);
  if (!file) throw new InputError('database', `the backup holds ${record.databases.join(', ')}, not ${database}`);
  const target = options.target ?? `${database.slice(0, 40)}_restored_${stamp()}`;
  const quotedTarget = quoteDatabase(target, 'target');
  const primary = await resolvePrimary(ctx);
  const exists = await databaseExists(primary, target);
  if (exists && !options.confirm) {
    throw new RefusedError(`database ${target} exists; restoring into it replaces its contents`, {
      hint: 'Confirm (--yes) to replace it (its current contents are kept under another name), or restore into a new database with --target.',
    });
  }
  await ensureVerified(ctx, record.id);
  const dump = join(backupsDir(ctx.stateDir), record.path, file.name);
  const scratch = exists ? `${target.slice(0, 50)}_rs_${suffix()}` : target;
  // A replacement keeps the replaced database's owner (a dump of one database does not carry it).
  const owner = exists ? await databaseOwner(primary, target) : undefined;
  await createDatabase(primary, scratch, owner);
  // Progress: the restored database's size, read on one side connection while pg_restore runs.
  const watcher = ctx.onProgress ? await sizeWatcher(primary, scratch) : undefined;
  try {
    await runTool({
      program: join(pgBinDir(), 'pg_restore'),
      args: ['--no-password', '--exit-on-error', '--dbname', scratch, dump],
      env: libpqEnv(primary.url, scratch),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(watcher ? { onTick: () => watcher.sample((bytes) => ctx.onProgress?.({ phase: 'restore', database: target, bytes })) } : {}),
    });
  } catch (error) {
    await watcher?.close();
    await dropDatabase(primary, scratch).catch(() => undefined);
    throw error;
  }
  await watcher?.close();
  const bytes = await databaseSize(primary, scratch);
  ctx.onProgress?.({ phase: 'restore', database: target, bytes });
  const journal = { id: restoreId(), ...(options.auditId ? { auditId: options.auditId } : {}), target, backupId: record.id, undone: false };
  if (!exists) {
    await recordRestore(ctx.stateDir, { ...journal, restoredAt: new Date().toISOString(), created: true });
    return { id: record.id, kind: 'logical', database, target, created: true, restoreId: journal.id, undo: `drop database ${quotedTarget}`, bytes, durationMs: Date.now() - started };
  }
  const previous = `${target.slice(0, 50)}_pre_${suffix()}`;
  await swapDatabases(primary, target, scratch, previous);
  if (options.keepPrevious === false) await dropDatabase(primary, previous);
  await recordRestore(ctx.stateDir, {
    ...journal,
    restoredAt: new Date().toISOString(),
    created: false,
    ...(options.keepPrevious === false ? {} : { previousDatabase: previous }),
  });
  return {
    id: record.id,
    kind: 'logical',
    database,
    target,
    created: false,
    restoreId: journal.id,
    ...(options.keepPrevious === false ? {} : { previousDatabase: previous }),
    undo:
      options.keepPrevious === false
        ? 'not possible: the replaced database was dropped (keepPrevious false)'
        : `drop database ${quotedTarget}; alter database "${previous}" rename to ${quotedTarget}`,
    bytes,
    durationMs: Date.now() - started,
  };
}

async function restorePhysical(ctx: BackupContext, record: BackupRecord, options: RestoreBackupOptions): Promise<RestoreResult> {
  const started = Date.now();
  // A point-in-time recovery runs in the server: the copy is always started.
  if (options.recovery) options = { ...options, start: true };
  if (options.target !== undefined || options.database !== undefined) {
    throw new InputError('target', 'a physical backup is restored into a new data directory (dataDir), not into a database');
  }
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1024 || options.port > 65535)) {
    throw new InputError('port', 'must be an integer from 1024 to 65535');
  }
  const dataDir = options.dataDir ?? join(ensureStateSubdir(ctx.stateDir, 'restores'), `${record.id}-${suffix()}`);
  // Security: only an absolute, absent or empty folder is written to, so a restore can never
  // overwrite a live data directory or anything else.
  if (!isAbsolute(dataDir)) throw new InputError('dataDir', 'must be an absolute path');
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) throw new InputError('dataDir', `${dataDir} is not empty; give an absent or empty folder`);
  const asRoot = process.getuid?.() === 0;
  if (asRoot && options.start && !postgresCanReach(dirname(dataDir))) {
    throw new InputError(
      'dataDir',
      `the postgres OS user (which runs the server; we are root) cannot reach ${dirname(dataDir)}; give a dataDir under a folder it can traverse, e.g. /var/lib/postgresql/restores/<name>`,
    );
  }
  if (!options.verified) await ensureVerified(ctx, record.id);
  const source = join(backupsDir(ctx.stateDir), record.path, 'base');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  cpSync(source, dataDir, { recursive: true });
  const port = options.start ? (options.port ?? (await freePort())) : undefined;
  let recovery: RecoveryPoint | undefined;
  if (port !== undefined) {
    // An independent copy: its own port, no archiving, never waiting for the source's sync standbys.
    appendFileSync(
      join(dataDir, 'postgresql.auto.conf'),
      `\n# pgcluster restore of ${record.id}\nport = ${port}\nlisten_addresses = '127.0.0.1'\narchive_mode = off\nsynchronous_standby_names = ''\n`,
    );
  }
  if (options.recovery) writeRecoveryConfig(dataDir, options.recovery.archiveDir, options.recovery.target);
  // The mark that lets `cluster-restore --action undo --data-dir` remove this folder, and no other.
  writeFileSync(join(dataDir, RESTORE_MARK), `${JSON.stringify({ backupId: record.id, restoredAt: new Date().toISOString() })}\n`, { mode: 0o600 });
  if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', dataDir]);
  execFileSync('chmod', ['700', dataDir]);
  ctx.onProgress?.({ phase: 'restore', bytes: sizeOf(dataDir) });
  if (port !== undefined) {
    // The one way pgcluster starts a data directory: as the postgres OS user when we are root (the server refuses
    // root), after clearing lock files the backup copied from a running source (postmaster.pid is not in a base
    // backup, but a socket lock of the port may be stale).
    const logFile = join(dataDir, 'restore-start.log');
    // Recorded in the state dir's inventory: `pgcluster dev down` stops it with the dev cluster.
    recordServer(ctx.stateDir, { dataDir, port, logFile, startedBy: `cluster-restore ${record.id}`, startedAt: new Date().toISOString() });
    try {
      await startDataDir(dataDir, { run: serverRunner(dataDir, ctx.signal), logFile, label: `the restored copy of ${record.id}`, port, timeoutS: options.recovery ? 1800 : 120 });
      if (options.recovery) {
        const url = restoredUrl(primaryUrlOf(ctx), port);
        recovery = await finishRecovery(url, { dataDir, logFile, target: options.recovery.target, windowFrom: record.createdAt, timeoutMs: 1_800_000, promote: !options.recovery.hold, ...(ctx.signal ? { signal: ctx.signal } : {}) });
        if (!options.recovery.hold) await waitWritable(url);
      }
    } catch (error) {
      if (!options.recovery) throw error;
      // A recovery that did not reach its target leaves nothing behind: the copy is stopped and deleted.
      await stopDataDir(dataDir, serverRunner(dataDir)).catch(() => undefined);
      forgetServer(ctx.stateDir, dataDir);
      rmSync(dataDir, { recursive: true, force: true });
      if (error instanceof PgClusterError) throw new PgClusterError(error.code, `${error.message}; the copy in ${dataDir} was removed`, { cause: error, ...(error.hint ? { hint: error.hint } : {}) });
      throw error;
    }
  }
  return {
    id: record.id,
    kind: 'physical',
    dataDir,
    started: port !== undefined,
    ...(port !== undefined ? { port } : {}),
    ...(recovery ? { recovery } : {}),
    ...(port !== undefined ? { rtoMs: Date.now() - started } : {}),
    undo: port !== undefined ? `stop the restored node and delete ${dataDir}` : `delete ${dataDir}`,
    bytes: sizeOf(dataDir),
    durationMs: Date.now() - started,
  };
}

/** The file a physical restore leaves in its data directory: only such a folder is ever removed by an undo. */
export const RESTORE_MARK = 'pgcluster.restore.json';

/** What {@link undoPhysicalRestore} did. */
export interface UndoPhysicalRestoreResult {
  dataDir: string;
  backupId: string;
  /** Whether a server ran from it and was stopped. */
  stopped: boolean;
  /** Bytes removed. */
  bytes: number;
}

/**
 * Undoes a physical restore: stops the server that runs from its data directory (if one does),
 * takes it out of the state dir's inventory, and deletes the folder.
 * @throws InputError when `dataDir` holds no physical restore of cluster-restore (nothing is
 *   touched); RefusedError when the folder is already gone (undone before).
 * @example
 * ```ts
 * await undoPhysicalRestore(ctx, '/var/lib/postgresql/restores/r1') // { stopped: true, bytes: 41943040, … }
 * ```
 */
export async function undoPhysicalRestore(ctx: BackupContext, dataDir: string): Promise<UndoPhysicalRestoreResult> {
  if (!isAbsolute(dataDir)) throw new InputError('dataDir', 'must be an absolute path');
  if (!existsSync(dataDir)) throw new RefusedError(`${dataDir} is gone: that physical restore was already undone; nothing was changed`);
  // Security: only a folder that a physical restore marked is stopped and deleted, never another data directory.
  const mark = join(dataDir, RESTORE_MARK);
  if (!existsSync(mark)) throw new InputError('dataDir', `${dataDir} holds no physical restore of cluster-restore (no ${RESTORE_MARK}); nothing was changed`);
  const { backupId } = JSON.parse(readFileSync(mark, 'utf8')) as { backupId: string };
  const stopped = await stopDataDir(dataDir, serverRunner(dataDir, ctx.signal));
  forgetServer(ctx.stateDir, dataDir);
  const bytes = sizeOf(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
  return { dataDir, backupId, stopped, bytes };
}

async function ensureVerified(ctx: BackupContext, id: string): Promise<void> {
  const report = await verifyBackup(ctx, id);
  if (!report.ok) {
    const failed = report.checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.detail}`);
    throw new PgClusterError('ACTION_FAILED', `backup ${id} failed verification, nothing was restored: ${failed.join('; ')}`, {
      hint: 'Restore another backup (see the list action); this one is damaged.',
    });
  }
}

function admin<T>(primary: TopologyMember, context: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  return withClient({ url: maintenanceUrl(primary.url) }, context, fn);
}

async function databaseExists(primary: TopologyMember, name: string): Promise<boolean> {
  return admin(primary, 'checking the target database', async (c) => (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1);
}

async function databaseSize(primary: TopologyMember, name: string): Promise<number> {
  return admin(primary, 'measuring the restored database', async (c) => Number((await c.query<{ s: string }>('select pg_database_size($1)::text as s', [name])).rows[0]!.s));
}

/** Samples pg_database_size on one connection; a sample still running is not doubled up. */
async function sizeWatcher(primary: TopologyMember, database: string): Promise<{ sample(report: (bytes: number) => void): void; close(): Promise<void> } | undefined> {
  const client = new pg.Client({ connectionString: maintenanceUrl(primary.url), application_name: 'pgcluster-restore-progress' });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch {
    return undefined; // progress is a nicety; the restore goes on without it
  }
  let busy = false;
  return {
    sample(report) {
      if (busy) return;
      busy = true;
      client
        .query<{ s: string }>('select pg_database_size($1)::text as s', [database])
        .then((r) => report(Number(r.rows[0]!.s)))
        .catch(() => undefined)
        .finally(() => (busy = false));
    },
    close: () => client.end().catch(() => undefined),
  };
}

async function createDatabase(primary: TopologyMember, name: string, owner?: string): Promise<void> {
  // Security: the owner comes from pg_database, not from input; it is still quoted as an identifier.
  const ownerClause = owner ? ` owner "${owner.replace(/"/g, '""')}"` : '';
  await admin(primary, `creating database ${name}`, (c) => c.query(`create database ${quoteDatabase(name, 'target')}${ownerClause} template template0`));
}

async function databaseOwner(primary: TopologyMember, name: string): Promise<string> {
  return admin(primary, 'reading the target database\'s owner', async (c) => (await c.query<{ o: string }>('select pg_get_userbyid(datdba) as o from pg_database where datname = $1', [name])).rows[0]!.o);
}

/**
 * Drops a database, ending its sessions.
 * @example
 * ```ts
 * await dropDatabase(primary, 'app_restored_20261124t0715')
 * ```
 */
export async function dropDatabase(primary: TopologyMember, name: string): Promise<void> {
  await admin(primary, `dropping database ${name}`, (c) => c.query(`drop database if exists ${quoteDatabase(name, 'target')} with (force)`));
}

async function swapDatabases(primary: TopologyMember, target: string, fresh: string, previous: string): Promise<void> {
  await admin(primary, `swapping ${fresh} in for ${target}`, async (c) => {
    // Sessions on the target are ended so it can be renamed; the caller confirmed the replacement.
    for (let attempt = 1; ; attempt++) {
      await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [target]);
      try {
        await c.query(`alter database ${quoteDatabase(target, 'target')} rename to ${quoteDatabase(previous, 'target')}`);
        break;
      } catch (error) {
        if (attempt >= 10) throw error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await c.query(`alter database ${quoteDatabase(fresh, 'target')} rename to ${quoteDatabase(target, 'target')}`);
  });
}

/** Whether the postgres OS user can traverse every folder down to `dir` (the nearest existing one). */
function postgresCanReach(dir: string): boolean {
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  return spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', probe], { cwd: '/tmp' }).status === 0;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:T]/g, '').slice(0, 12);
}

function suffix(length = 4): string {
  return Array.from(randomBytes(length), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
}

/** A restore's id in the journal: eight lower-case letters and digits. */
function restoreId(): string {
  return suffix(8);
}

/**
 * The configured URL of a node (for its user and password), used to reach a restored copy on 127.0.0.1.
 * @example primaryUrlOf(ctx)
 */
export function primaryUrlOf(ctx: BackupContext): string {
  const node = ctx.config.nodes?.[0];
  if (!node) throw new PgClusterError('INTERNAL', 'the configuration names no node');
  return node.url;
}

/**
 * The URL of a restored copy: the source's user and password (a physical copy has the same
 * roles), on 127.0.0.1 and the copy's port, database postgres.
 * @example restoredUrl('postgresql://u:p@db1:5432/app', 54999) // 'postgresql://u:p@127.0.0.1:54999/postgres'
 */
export function restoredUrl(sourceUrl: string, port: number, database = 'postgres'): string {
  const u = new URL(sourceUrl);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Waits until a promoted copy leaves recovery (accepts writes).
 * @example await waitWritable(url)
 */
export async function waitWritable(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const recovering = await withClient({ url }, 'waiting for promotion', async (c) => (await c.query<{ r: boolean }>('select pg_is_in_recovery() as r')).rows[0]!.r).catch(() => true);
    if (!recovering) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new PgClusterError('TIMEOUT', 'the restored copy was not promoted within 60 s');
}

/**
 * A free loopback TCP port.
 * @example await freePort() // 54311
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

