import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { forgetServer, InputError, PgClusterError, recordServer, startDataDir, stopDataDir } from '@pgcluster/core';
import type { BackupContext } from './backup-context';
import { pgbackrestInfo, pgbackrestRestore } from './pgbackrest';
import { finishRecovery, type RecoveryPoint, type RecoveryTarget } from './point-in-time';
import { freePort, primaryUrlOf, RESTORE_MARK, restoredUrl, waitWritable } from './restore-backup';
import { serverRunner } from '../failover/local-node';
import { sizeOf } from './pg-tools';

/** What {@link restorePgbackrestToPoint} did. */
export interface PgbackrestRestoreResult {
  /** The pgBackRest backup label recovery started from (the latest before the target). */
  label: string;
  dataDir: string;
  port: number;
  recovery: RecoveryPoint;
  rtoMs: number;
  bytes: number;
}

/**
 * A point-in-time restore through pgBackRest: `pgbackrest restore --type=time|lsn|name` into a new,
 * empty data directory, started as an independent node on a free loopback port, paused at the
 * target to read the point reached, then promoted. A failed recovery removes the copy.
 * @example await restorePgbackrestToPoint(ctx, archiveDir, { kind: 'time', time }, { dataDir: '/tmp/r1' })
 */
export async function restorePgbackrestToPoint(
  ctx: BackupContext,
  archiveDir: string,
  target: RecoveryTarget,
  options: { dataDir: string; port?: number },
): Promise<PgbackrestRestoreResult> {
  const started = Date.now();
  const { dataDir } = options;
  // Security: only an absolute, absent or empty folder is written to.
  if (!isAbsolute(dataDir)) throw new InputError('dataDir', 'must be an absolute path');
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) throw new InputError('dataDir', `${dataDir} is not empty; give an absent or empty folder`);
  const backups = await pgbackrestInfo(ctx, archiveDir);
  const fits = backups.filter((b) => target.kind !== 'time' || Date.parse(b.stop) < Date.parse(target.time));
  const base = fits.at(-1);
  if (!base) throw new InputError(target.kind === 'time' ? 'toTime' : target.kind === 'lsn' ? 'toLsn' : 'toRestorePoint', 'no pgBackRest backup finished before that point');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dataDir]);
  const port = options.port ?? (await freePort());
  const logFile = join(dataDir, 'restore-start.log');
  try {
    await pgbackrestRestore(ctx, archiveDir, dataDir, target);
    appendFileSync(join(dataDir, 'postgresql.auto.conf'), `\n# pgcluster restore through pgBackRest (${base.label})\nport = ${port}\nlisten_addresses = '127.0.0.1'\narchive_mode = off\nsynchronous_standby_names = ''\n`);
    writeFileSync(join(dataDir, RESTORE_MARK), `${JSON.stringify({ backupId: `pgbackrest:${base.label}`, restoredAt: new Date().toISOString() })}\n`, { mode: 0o600 });
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', dataDir]);
    recordServer(ctx.stateDir, { dataDir, port, logFile, startedBy: `cluster-restore pgbackrest ${base.label}`, startedAt: new Date().toISOString() });
    await startDataDir(dataDir, { run: serverRunner(dataDir, ctx.signal), logFile, label: `the pgBackRest restore of ${base.label}`, port, timeoutS: 1800 });
    const url = restoredUrl(primaryUrlOf(ctx), port);
    const recovery = await finishRecovery(url, { dataDir, logFile, target, windowFrom: base.start, timeoutMs: 1_800_000, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    await waitWritable(url);
    return { label: base.label, dataDir, port, recovery, rtoMs: Date.now() - started, bytes: sizeOf(dataDir) };
  } catch (error) {
    if (existsSync(join(dataDir, 'PG_VERSION'))) await stopDataDir(dataDir, serverRunner(dataDir)).catch(() => undefined);
    forgetServer(ctx.stateDir, dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    if (error instanceof PgClusterError) throw new PgClusterError(error.code, `${error.message}; the copy in ${dataDir} was removed`, { cause: error, ...(error.hint ? { hint: error.hint } : {}) });
    throw error;
  }
}
