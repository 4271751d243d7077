import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, PgClusterError, RefusedError, withClient } from '@pgcluster/core';
import { z } from 'zod';
import { backupsDir, withFileLock, writeJsonAtomic } from './backup-catalogue';
import { maintenanceUrl, quoteDatabase, resolvePrimary, type BackupContext } from './backup-context';

/** One logical restore, as recorded so that it can be undone. */
export const RestoreEntry = z.object({
  id: z.string().optional().describe('The restore\'s own id (older entries have none).'),
  auditId: z.string().optional().describe('The audit id of the run that restored it, when audited.'),
  target: z.string().describe('The database restored into.'),
  backupId: z.string().describe('The backup restored.'),
  restoredAt: z.string().describe('ISO time.'),
  created: z.boolean().describe('The restore created the target database.'),
  previousDatabase: z.string().optional().describe('Where the replaced contents were kept.'),
  undone: z.boolean().describe('Already undone.'),
});
/** One recorded logical restore. */
export type RestoreEntry = z.infer<typeof RestoreEntry>;

const JOURNAL = 'restores.json';

function readJournal(stateDir: string): RestoreEntry[] {
  const file = join(backupsDir(stateDir), JOURNAL);
  if (!existsSync(file)) return [];
  const parsed = z.array(RestoreEntry).safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new PgClusterError('ACTION_FAILED', `the restore journal ${file} is not in the expected shape`);
  return parsed.data;
}

/**
 * Appends a logical restore to the journal (`<stateDir>/backups/restores.json`).
 * @example
 * ```ts
 * await recordRestore(stateDir, { target: 'app_check', backupId: id, restoredAt: new Date().toISOString(), created: true, undone: false })
 * ```
 */
export async function recordRestore(stateDir: string, entry: RestoreEntry): Promise<void> {
  const dir = backupsDir(stateDir);
  await withFileLock(join(dir, 'restores.lock'), () => writeJsonAtomic(join(dir, JOURNAL), [...readJournal(stateDir), entry]));
}

/** The result of {@link undoRestore}. */
export interface UndoRestoreResult {
  target: string;
  /** `dropped` (the restore had created it) or `reverted` (the replaced database is back under its name). */
  action: 'dropped' | 'reverted';
  backupId: string;
  /** The restore undone (absent for entries older than restore ids). */
  restoreId?: string;
  /** The audit id of the run that restored it, when it was audited. */
  auditId?: string;
  /** Later restores into the same target, undone with it (the target is back to its state before this restore). */
  alsoUndone: string[];
  /** Databases those later restores had kept (the target's contents between the restores): kept, not dropped. */
  kept: string[];
}

/**
 * Undoes one logical restore recorded in this state dir — the one with id `restoreId`, or
 * else the latest one into `target` not yet undone — so that `target` is exactly as it was
 * before that restore: the database the restore created is dropped, or the database it
 * replaced (kept as `previousDatabase`) is put back. Later restores into the same target are
 * undone with it; the databases they kept are left in place and listed in `kept`.
 * @throws InputError when no such restore is recorded (nothing is dropped), RefusedError when
 *   it was already undone or cannot be (its replaced database was not kept).
 * @example
 * ```ts
 * await undoRestore({ config, stateDir }, 'app_check', 'k3x9a0b2') // { action: 'reverted', … }
 * ```
 */
export async function undoRestore(ctx: BackupContext, target: string, restoreId?: string): Promise<UndoRestoreResult> {
  const quoted = quoteDatabase(target, 'target');
  const dir = backupsDir(ctx.stateDir);
  return withFileLock(join(dir, 'restores.lock'), async () => {
    const journal = readJournal(ctx.stateDir);
    const index = restoreId === undefined ? journal.findLastIndex((e) => e.target === target && !e.undone) : journal.findIndex((e) => e.id === restoreId);
    // Security: only a database this state dir's restore created or replaced is ever dropped.
    if (index < 0) {
      throw restoreId === undefined
        ? new InputError('target', `no restore into ${target} is recorded here (or it was undone already); nothing was dropped`)
        : new InputError('restore', `no restore ${restoreId} is recorded here; nothing was dropped`);
    }
    const entry = journal[index]!;
    if (entry.target !== target) throw new InputError('target', `restore ${restoreId} went into ${entry.target}, not ${target}; nothing was dropped`);
    if (entry.undone) throw new RefusedError(`the restore ${restoreId} into ${target} was already undone; nothing was changed`);
    if (!entry.created && !entry.previousDatabase) {
      throw new RefusedError(`the restore into ${target} dropped the database it replaced (keepPrevious false), so it cannot be undone`);
    }
    const primary = await resolvePrimary(ctx);
    await withClient({ url: maintenanceUrl(primary.url) }, `undoing the restore into ${target}`, async (c) => {
      if (entry.previousDatabase) {
        const found = await c.query('select 1 from pg_database where datname = $1', [entry.previousDatabase]);
        if (found.rowCount !== 1) throw new PgClusterError('ACTION_FAILED', `the replaced database ${entry.previousDatabase} is gone, so ${target} is left as it is`);
      }
      await c.query(`drop database if exists ${quoted} with (force)`);
      if (entry.previousDatabase) await c.query(`alter database ${quoteDatabase(entry.previousDatabase, 'previousDatabase')} rename to ${quoted}`);
    });
    const later = journal.flatMap((e, i) => (i > index && e.target === target && !e.undone ? [i] : []));
    for (const i of [index, ...later]) journal[i] = { ...journal[i]!, undone: true };
    writeJsonAtomic(join(dir, JOURNAL), journal);
    return {
      target,
      action: entry.previousDatabase ? 'reverted' : 'dropped',
      backupId: entry.backupId,
      ...(entry.id ? { restoreId: entry.id } : {}),
      ...(entry.auditId ? { auditId: entry.auditId } : {}),
      alsoUndone: later.map((i) => journal[i]!.id ?? journal[i]!.restoredAt),
      kept: later.flatMap((i) => (journal[i]!.previousDatabase ? [journal[i]!.previousDatabase!] : [])),
    };
  });
}
