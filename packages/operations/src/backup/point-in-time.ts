import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { InputError, PgClusterError, RefusedError, runningPostmaster, withClient } from '@pgcluster/core';
import { backupsDir, readCatalogue, type BackupRecord } from './backup-catalogue';
import { resolvePrimary, type BackupContext } from './backup-context';
import { readRestorePoints, checkRestorePointName } from './restore-points';
import { readArchivingState, restoreCommand, switchAndWaitArchived } from './wal-archive';
import { pgTime } from './pg-time';

/** Where a point-in-time restore stops: a time, a WAL position, or a named restore point. */
export type RecoveryTarget = { kind: 'time'; time: string } | { kind: 'lsn'; lsn: string } | { kind: 'name'; name: string };

/** What a point-in-time restore reached. */
export interface RecoveryPoint {
  /** The recovery target was reached (the server paused there before being promoted). */
  reached: boolean;
  target: RecoveryTarget;
  /** `pg_last_wal_replay_lsn()` when recovery paused at the target. */
  lsn: string;
  /** `pg_last_xact_replay_timestamp()`: the commit time of the last transaction replayed, or null when none was. */
  lastTransactionTime: string | null;
  /** The server's own `recovery stopping …` log line, when it wrote one. */
  stopLine?: string;
  /** Backup start to the last replayed transaction (or the target): the data the restore covers. */
  window: { from: string; to: string };
}

const LSN = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;

/**
 * Parses an LSN (`16/B374D848`) to a number for comparisons.
 * @example lsnValue('0/3000028') // 50331688n
 */
export function lsnValue(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/**
 * Checks and normalises a recovery target from the skill's fields.
 * @throws InputError naming toTime, toLsn or toRestorePoint.
 * @example recoveryTarget({ toTime: '2026-11-30T12:00:00Z' }) // { kind: 'time', time: '2026-11-30T12:00:00.000Z' }
 */
export function recoveryTarget(input: { toTime?: string; toLsn?: string; toRestorePoint?: string }): RecoveryTarget | undefined {
  const given = [input.toTime, input.toLsn, input.toRestorePoint].filter((v) => v !== undefined).length;
  if (given > 1) throw new InputError('toTime', 'give one of --to-time, --to-lsn, --to-restore-point');
  if (input.toTime !== undefined) {
    const t = Date.parse(input.toTime);
    if (!/^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)$/.test(input.toTime) || Number.isNaN(t)) throw new InputError('toTime', 'must be an ISO 8601 time with a zone, e.g. 2026-11-30T14:02:00Z');
    return { kind: 'time', time: new Date(t).toISOString() };
  }
  if (input.toLsn !== undefined) {
    if (!LSN.test(input.toLsn)) throw new InputError('toLsn', 'must be a WAL position like 0/3000028');
    return { kind: 'lsn', lsn: input.toLsn.toUpperCase() };
  }
  if (input.toRestorePoint !== undefined) return { kind: 'name', name: checkRestorePointName(input.toRestorePoint, 'toRestorePoint') };
  return undefined;
}

/**
 * The WAL range a physical backup covers, from its `backup_manifest` (`WAL-Ranges`).
 * @example backupEndLsn(stateDir, record) // '0/5000100'
 */
export function backupEndLsn(stateDir: string, record: BackupRecord): string | undefined {
  const manifest = join(backupsDir(stateDir), record.path, 'base', 'backup_manifest');
  if (!existsSync(manifest)) return undefined;
  const ranges = (JSON.parse(readFileSync(manifest, 'utf8')) as { 'WAL-Ranges'?: { 'End-LSN': string }[] })['WAL-Ranges'];
  return ranges?.at(-1)?.['End-LSN'];
}

/**
 * The newest physical backup that finished before the target (recovery can only stop after a
 * backup's end); a given id is checked the same way.
 * @throws InputError naming `id` or the target's field when none fits.
 * @example chooseBaseBackup(stateDir, { kind: 'time', time: '2026-11-30T12:00:00.000Z' })
 */
export function chooseBaseBackup(stateDir: string, target: RecoveryTarget, id?: string): BackupRecord {
  const physical = readCatalogue(stateDir).filter((b) => b.kind === 'physical' && b.verification?.ok !== false);
  const fits = (b: BackupRecord): boolean => {
    const end = backupEndLsn(stateDir, b);
    if (target.kind === 'time') return Date.parse(b.createdAt) + b.durationMs < Date.parse(target.time);
    if (target.kind === 'lsn') return end !== undefined && lsnValue(end) <= lsnValue(target.lsn);
    const point = readRestorePoints(stateDir).filter((p) => p.name === target.name).at(-1);
    // A restore point pgcluster did not make: its position is unknown; recovery decides.
    return !point || (end !== undefined && lsnValue(end) <= lsnValue(point.lsn));
  };
  if (id) {
    const record = physical.find((b) => b.id === id);
    if (!record) throw new InputError('id', `no sound physical backup ${id} in the catalogue (see cluster-backup --action list --kind physical)`);
    if (!fits(record)) throw new InputError('id', `backup ${id} finished after the recovery target; pick an older one or leave --id out`);
    return record;
  }
  const chosen = physical.filter(fits).sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1);
  if (!chosen) {
    const field = target.kind === 'time' ? 'toTime' : target.kind === 'lsn' ? 'toLsn' : 'toRestorePoint';
    throw new InputError(field, 'no physical backup finished before that point; take one (cluster-backup --kind physical) and restore to a later point');
  }
  return chosen;
}

/**
 * The recovery settings of a point-in-time restore, appended to the restored copy's
 * `postgresql.auto.conf` (these settings only; the port and isolation are written by the
 * restore itself), plus `recovery.signal`. Recovery pauses at the target so the point reached
 * can be read before promotion.
 * @example writeRecoveryConfig(dataDir, '/srv/arch', { kind: 'lsn', lsn: '0/3000028' })
 */
export function writeRecoveryConfig(dataDir: string, archiveDir: string, target: RecoveryTarget): void {
  const lines = [`restore_command = '${restoreCommand(archiveDir).replace(/'/g, "''")}'`, "recovery_target_action = 'pause'", "recovery_target_timeline = 'latest'"];
  // Security: every value was checked against a plain-character pattern; quotes are doubled anyway.
  if (target.kind === 'time') lines.push(`recovery_target_time = '${pgTime(target.time)}'`);
  if (target.kind === 'lsn') lines.push(`recovery_target_lsn = '${target.lsn}'`);
  if (target.kind === 'name') lines.push(`recovery_target_name = '${target.name.replace(/'/g, "''")}'`);
  appendFileSync(join(dataDir, 'postgresql.auto.conf'), `\n# pgcluster point-in-time recovery\n${lines.join('\n')}\n`);
  writeFileSync(join(dataDir, 'recovery.signal'), '', { mode: 0o600 });
}

/**
 * Makes sure the archive holds everything the primary wrote so far (a WAL switch, then waits for
 * the archiver), when the primary is reachable; a restore goes on without it otherwise.
 * @returns the segment archived, or undefined when the primary could not be asked.
 * @example await flushToArchive(ctx)
 */
export async function flushToArchive(ctx: BackupContext): Promise<string | undefined> {
  let primary;
  try {
    primary = await resolvePrimary(ctx);
  } catch {
    return undefined;
  }
  return switchAndWaitArchived(primary, 60_000, ctx.signal);
}

/**
 * The archive folder a point-in-time restore reads WAL from.
 * @throws RefusedError when archiving was never enabled (there is no WAL to replay).
 * @example archiveForRestore(stateDir)
 */
export function archiveForRestore(stateDir: string): string {
  const state = readArchivingState(stateDir);
  if (!state) {
    throw new RefusedError('WAL archiving was never enabled: there is no WAL to recover to a point in time; nothing was changed', {
      hint: 'Enable it (cluster-backup --action enable-archiving), take a physical backup, and restore to points after it.',
    });
  }
  return state.archiveDir;
}

/**
 * The repository folder of a pgBackRest setup made by enable-archiving --backend pgbackrest.
 * @throws InputError naming `backend` when archiving is not set up through pgBackRest.
 * @example pgbackrestArchiveDir(stateDir)
 */
export function pgbackrestArchiveDir(stateDir: string): string {
  const state = readArchivingState(stateDir);
  if (state?.backend !== 'pgbackrest') {
    throw new InputError('backend', 'pgBackRest is not set up for this cluster; run cluster-backup --action enable-archiving --backend pgbackrest first (or use the native backend)');
  }
  return state.archiveDir;
}

/** What {@link finishRecovery} watches. */
export interface FinishRecoveryOptions {
  /** The recovering server's data directory (a stopped postmaster means recovery ended). */
  dataDir: string;
  /** Its pg_ctl log (`-l`); with the logging collector on, its own log folder is read too. */
  logFile: string;
  target: RecoveryTarget;
  /** The start of the data window: the base backup's time. */
  windowFrom: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Promote once paused (default true); false leaves it paused at the target (a replace promotes it later, in the primary's place). */
  promote?: boolean;
}

/**
 * Waits until recovery paused at its target, reads the point reached, then promotes the copy
 * (`pg_promote`), so it becomes an independent node on a new timeline (unless `promote` is false).
 * @throws PgClusterError `ACTION_FAILED` with the server log's last lines when recovery ended before the target.
 * @example await finishRecovery(url, { dataDir, logFile, target, windowFrom: record.createdAt, timeoutMs: 1_800_000 })
 */
export async function finishRecovery(url: string, options: FinishRecoveryOptions): Promise<RecoveryPoint> {
  const { dataDir, logFile, target, windowFrom, timeoutMs, signal } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let state: { paused: string; recovery: boolean } | undefined;
    try {
      state = await withClient({ url }, 'watching recovery', async (c) => {
        const { rows } = await c.query<{ paused: string; recovery: boolean }>('select pg_is_in_recovery() as recovery, pg_get_wal_replay_pause_state() as paused');
        return rows[0]!;
      });
    } catch {
      state = undefined; // the server may have stopped: recovery ended before the target
    }
    if (state && !state.recovery) throw new PgClusterError('ACTION_FAILED', `recovery ended without pausing at the target: ${logTail(dataDir, logFile)}`);
    if (state?.paused === 'paused') break;
    // After a FATAL in the startup process (e.g. the archive ends before the target) the postmaster exits.
    if (!state && runningPostmaster(dataDir) === undefined) {
      throw new PgClusterError('ACTION_FAILED', `recovery did not reach the target: ${logTail(dataDir, logFile)}`, {
        hint: 'The archive may not reach that point yet (is archiving failing?), or the target is before the backup ended.',
      });
    }
    if (signal?.aborted) throw new PgClusterError('ABORTED', 'cancelled during recovery');
    if (Date.now() > deadline) throw new PgClusterError('TIMEOUT', `recovery did not reach the target within ${timeoutMs / 1000} s: ${logTail(dataDir, logFile)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return withClient({ url }, 'reading the point reached and promoting', async (c) => {
    const { rows } = await c.query<{ lsn: string; at: Date | null }>('select pg_last_wal_replay_lsn()::text as lsn, pg_last_xact_replay_timestamp() as at');
    if (options.promote !== false) await c.query('select pg_promote(true, 120)');
    const at = rows[0]!.at ? rows[0]!.at.toISOString() : null;
    const stopLine = serverLogLines(dataDir, logFile)
      .filter((l) => /recovery stopping/.test(l))
      .at(-1)
      ?.replace(/^.*?(recovery stopping)/, '$1');
    return {
      reached: true,
      target,
      lsn: rows[0]!.lsn,
      lastTransactionTime: at,
      ...(stopLine ? { stopLine } : {}),
      window: { from: windowFrom, to: at ?? (target.kind === 'time' ? target.time : windowFrom) },
    };
  });
}

/**
 * The server's log lines: pg_ctl's log, then the logging collector's current files (as
 * `current_logfiles` names them, relative to the data directory); jsonlog lines as `SEVERITY:  message`.
 */
function serverLogLines(dataDir: string, logFile: string): string[] {
  const collected = readLog(join(dataDir, 'current_logfiles'))
    .split('\n')
    .map((l) => l.split(' ').slice(1).join(' '))
    .filter((f) => f !== '')
    .map((f) => readLog(isAbsolute(f) ? f : join(dataDir, f)));
  return [readLog(logFile), ...collected].join('\n').split('\n').map(logMessage);
}

/** A log line as text: a jsonlog line as `SEVERITY:  message`, any other line as it is. */
function logMessage(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    const { message, error_severity: severity } = JSON.parse(line) as { message?: unknown; error_severity?: unknown };
    return typeof message === 'string' ? `${typeof severity === 'string' ? severity : 'LOG'}:  ${message}` : line;
  } catch {
    return line;
  }
}

function readLog(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8');
  } catch {
    return ''; // absent, or not ours to read
  }
}

function logTail(dataDir: string, logFile: string): string {
  const lines = serverLogLines(dataDir, logFile).filter((l) => /FATAL|ERROR|LOG: {2}(recovery|last completed)/.test(l));
  return lines.slice(-3).join(' | ') || 'no server log';
}
