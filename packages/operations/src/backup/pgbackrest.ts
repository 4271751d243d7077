import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, PgClusterError, redactUrl, withClient, type TopologyMember } from '@pgcluster/core';
import { maintenanceUrl, resolvePrimary, type BackupContext } from './backup-context';
import { runTool } from './pg-tools';
import { pgTime } from './pg-time';

/** Backup backends: pgcluster's own (pg_dump / pg_basebackup, the default) or pgBackRest. */
export const BACKUP_BACKENDS = ['native', 'pgbackrest'] as const;
/** One of {@link BACKUP_BACKENDS}. */
export type BackupBackend = (typeof BACKUP_BACKENDS)[number];

/** pgBackRest backup types. */
export const PGBACKREST_TYPES = ['full', 'diff', 'incr'] as const;
/** One of {@link PGBACKREST_TYPES}. */
export type PgbackrestType = (typeof PGBACKREST_TYPES)[number];

/** pgBackRest compression types offered. */
export const PGBACKREST_COMPRESSION = ['lz4', 'zstd'] as const;

/** The stanza pgcluster configures. */
export const STANZA = 'pgcluster';
/** The OS user pgBackRest runs as (it must match the data directory's owner). */
const PG_OS_USER = 'postgres';
const PGBACKREST = '/usr/bin/pgbackrest';

/** Where pgBackRest's files live inside the archive repository folder. */
export function pgbackrestPaths(archiveDir: string): { config: string; repo: string; log: string; lock: string } {
  return { config: join(archiveDir, 'pgbackrest.conf'), repo: join(archiveDir, 'pgbackrest'), log: join(archiveDir, 'pgbackrest-log'), lock: join(archiveDir, 'pgbackrest-lock') };
}

/** The settings the configuration file is written from. */
export interface PgbackrestSettings {
  /** The primary's data directory. */
  dataDir: string;
  port: number;
  /** A unix socket folder of the primary (pgBackRest connects through it, as the postgres OS user). */
  socketDir: string;
  /** The database role to connect as over that socket (no password: the socket's own authentication). */
  user: string;
  processMax: number;
  compress: (typeof PGBACKREST_COMPRESSION)[number];
}

/**
 * Renders `pgbackrest.conf`: the repository, the stanza pointing at the primary's data directory
 * and unix socket, parallelism and compression. It holds no password (pgBackRest connects over
 * the socket as the postgres OS user).
 * @example renderPgbackrestConfig('/srv/arch', settings)
 */
export function renderPgbackrestConfig(archiveDir: string, s: PgbackrestSettings): string {
  const p = pgbackrestPaths(archiveDir);
  return [
    '# written by pgcluster (cluster-backup --backend pgbackrest)',
    '[global]',
    `repo1-path=${p.repo}`,
    'repo1-retention-full=4',
    `log-path=${p.log}`,
    `lock-path=${p.lock}`,
    'log-level-console=warn',
    'log-level-file=info',
    `process-max=${s.processMax}`,
    // pgBackRest spells Zstandard 'zst'.
    `compress-type=${s.compress === 'zstd' ? 'zst' : s.compress}`,
    'start-fast=y',
    'archive-check=y',
    '',
    `[${STANZA}]`,
    `pg1-path=${s.dataDir}`,
    `pg1-port=${s.port}`,
    `pg1-socket-path=${s.socketDir}`,
    `pg1-user=${s.user}`,
    '',
  ].join('\n');
}

/**
 * Reads what the configuration needs from the primary: data directory, port, socket folder, user.
 * @throws PgClusterError when the primary listens on no unix socket (pgBackRest needs one).
 * @example await pgbackrestSettings(primary, { processMax: 2, compress: 'lz4' })
 */
export async function pgbackrestSettings(primary: TopologyMember, options: { processMax: number; compress: PgbackrestSettings['compress'] }): Promise<PgbackrestSettings> {
  const { d, sockets, port } = await withClient({ url: maintenanceUrl(primary.url) }, `reading ${primary.name}'s data directory`, async (c) => {
    const { rows } = await c.query<{ d: string; sockets: string; port: string }>(
      "select current_setting('data_directory') as d, current_setting('unix_socket_directories') as sockets, current_setting('port') as port",
    );
    return rows[0]!;
  });
  const socketDir = sockets.split(',').map((s) => s.trim()).find((s) => s.startsWith('/'));
  if (!socketDir || !existsSync(d)) {
    throw new PgClusterError('ACTION_FAILED', `pgBackRest needs the primary's data directory on this machine and a unix socket; ${primary.name} has ${existsSync(d) ? 'no socket folder' : 'its data directory elsewhere'}`, {
      hint: 'Use the native backend (the default), or set unix_socket_directories on the primary.',
    });
  }
  return { dataDir: d, port: Number(port), socketDir, user: decodeURIComponent(new URL(primary.url).username) || 'postgres', ...options };
}

/**
 * Writes the configuration file (mode 600, owned by the postgres OS user, which runs pgBackRest).
 * @example writePgbackrestConfig('/srv/arch', settings)
 */
export function writePgbackrestConfig(archiveDir: string, settings: PgbackrestSettings): string {
  const p = pgbackrestPaths(archiveDir);
  for (const dir of [p.repo, p.log, p.lock]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(p.config, renderPgbackrestConfig(archiveDir, settings), { mode: 0o600 });
  chmodSync(p.config, 0o600);
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', `${PG_OS_USER}:${PG_OS_USER}`, archiveDir]);
  return p.config;
}

/**
 * The `archive_command` that pushes WAL through pgBackRest.
 * @example pgbackrestArchiveCommand('/srv/arch') // "pgbackrest --config='/srv/arch/pgbackrest.conf' --stanza=pgcluster archive-push %p"
 */
export function pgbackrestArchiveCommand(archiveDir: string): string {
  return `${PGBACKREST} --config='${pgbackrestPaths(archiveDir).config}' --stanza=${STANZA} archive-push %p`;
}

/**
 * Runs one pgBackRest command as the postgres OS user with pgcluster's configuration.
 * @returns its stdout.
 * @example await pgbackrest(ctx, '/srv/arch', ['info', '--output=json'])
 */
export async function pgbackrest(ctx: BackupContext, archiveDir: string, args: string[]): Promise<string> {
  const config = pgbackrestPaths(archiveDir).config;
  if (!existsSync(config)) throw new InputError('backend', `pgBackRest is not configured for this cluster (no ${config}); run cluster-backup --action enable-archiving --backend pgbackrest first`);
  const asUser = process.getuid?.() === 0 ? PG_OS_USER : undefined;
  try {
    const out = await runTool({ program: PGBACKREST, args: [`--config=${config}`, `--stanza=${STANZA}`, ...args], ...(asUser ? { asUser } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}) });
    return out.stdout;
  } catch (error) {
    if (error instanceof PgClusterError) throw new PgClusterError(error.code, redactUrl(error.message), { cause: error, hint: `pgBackRest's log is in ${pgbackrestPaths(archiveDir).log}.` });
    throw error;
  }
}

/** One pgBackRest backup as `info` reports it. */
export interface PgbackrestBackup {
  label: string;
  type: string;
  /** Start and stop time, ISO. */
  start: string;
  stop: string;
  /** Bytes of the database, and in the repository (compressed). */
  size: number;
  repoSize: number;
  lsnStart: string;
  lsnStop: string;
}

/**
 * The stanza's backups, oldest first, from `pgbackrest info --output=json`.
 * @example (await pgbackrestInfo(ctx, dir)).at(-1)?.label
 */
export async function pgbackrestInfo(ctx: BackupContext, archiveDir: string): Promise<PgbackrestBackup[]> {
  const parsed = JSON.parse(await pgbackrest(ctx, archiveDir, ['info', '--output=json'])) as {
    backup?: { label: string; type: string; timestamp: { start: number; stop: number }; info: { size: number; repository: { delta: number } }; lsn?: { start: string; stop: string } }[];
  }[];
  return (parsed[0]?.backup ?? []).map((b) => ({
    label: b.label,
    type: b.type,
    start: new Date(b.timestamp.start * 1000).toISOString(),
    stop: new Date(b.timestamp.stop * 1000).toISOString(),
    size: b.info.size,
    repoSize: b.info.repository.delta,
    lsnStart: b.lsn?.start ?? '',
    lsnStop: b.lsn?.stop ?? '',
  }));
}

/**
 * Creates the stanza (idempotent) for the primary; run before archiving points at pgBackRest.
 * @example await pgbackrestStanzaCreate(ctx, dir)
 */
export async function pgbackrestStanzaCreate(ctx: BackupContext, archiveDir: string): Promise<void> {
  await pgbackrest(ctx, archiveDir, ['stanza-create']);
}

/**
 * Takes a pgBackRest backup of the primary (full, diff or incr; parallel and compressed as configured).
 * @returns the new backup as `info` reports it.
 * @example await pgbackrestBackup(ctx, dir, 'full')
 */
export async function pgbackrestBackup(ctx: BackupContext, archiveDir: string, type: PgbackrestType): Promise<PgbackrestBackup> {
  await resolvePrimary(ctx); // a clear UNREACHABLE error before pgBackRest's own
  await pgbackrest(ctx, archiveDir, ['backup', `--type=${type}`]);
  const latest = (await pgbackrestInfo(ctx, archiveDir)).at(-1);
  if (!latest) throw new PgClusterError('ACTION_FAILED', 'pgBackRest reported no backup after backing up');
  return latest;
}

/**
 * Restores the latest pgBackRest backup into an empty data directory with recovery settings for
 * a target (`--type=time|lsn|name`, pausing there); pgBackRest writes `restore_command` and
 * `recovery.signal` itself.
 * @example await pgbackrestRestore(ctx, dir, '/tmp/r1', { kind: 'time', time: '2026-11-30T12:00:00.000Z' })
 */
export async function pgbackrestRestore(ctx: BackupContext, archiveDir: string, dataDir: string, target: { kind: 'time'; time: string } | { kind: 'lsn'; lsn: string } | { kind: 'name'; name: string }): Promise<void> {
  const targetArgs =
    target.kind === 'time' ? ['--type=time', `--target=${pgTime(target.time)}`] : target.kind === 'lsn' ? ['--type=lsn', `--target=${target.lsn}`] : ['--type=name', `--target=${target.name}`];
  await pgbackrest(ctx, archiveDir, ['restore', `--pg1-path=${dataDir}`, ...targetArgs, '--target-action=pause', '--archive-mode=off', '--target-timeline=current']);
}

/**
 * `pgbackrest verify`: checks every file of the repository against its checksum.
 * @returns whether it passed, and its output.
 * @example await pgbackrestVerify(ctx, dir) // { ok: true, detail: '' }
 */
export async function pgbackrestVerify(ctx: BackupContext, archiveDir: string): Promise<{ ok: boolean; detail: string }> {
  try {
    const out = await pgbackrest(ctx, archiveDir, ['verify', '--log-level-console=info']);
    return { ok: true, detail: out.trim().split('\n').slice(-2).join(' | ') || 'passed' };
  } catch (error) {
    if (error instanceof PgClusterError && error.code === 'ABORTED') throw error;
    return { ok: false, detail: (error as Error).message };
  }
}
