import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, PgClusterError, RefusedError, withClient } from '@pgcluster/core';
import { z } from 'zod';
import { backupsDir, withFileLock, writeJsonAtomic } from './backup-catalogue';
import { maintenanceUrl, quoteDatabase, resolvePrimary, type BackupContext } from './backup-context';

/** One logical restore, as recorded so that it can be undone. */
export const RestoreEntry = z.object({
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
}

/**
 * Undoes the latest logical restore into `target` recorded in this state dir: drops the
 * database it created, or puts back the database it replaced (kept as `previousDatabase`).
 * @throws InputError when no restore into `target` is recorded (nothing is dropped).
 * @example
 * ```ts
 * await undoRestore({ config, stateDir }, 'app_check') // { action: 'dropped', … }
 * ```
 */
export async function undoRestore(ctx: BackupContext, target: string): Promise<UndoRestoreResult> {
  const quoted = quoteDatabase(target, 'target');
  const dir = backupsDir(ctx.stateDir);
  return withFileLock(join(dir, 'restores.lock'), async () => {
    const journal = readJournal(ctx.stateDir);
    const index = journal.findLastIndex((e) => e.target === target && !e.undone);
    // Security: only a database this state dir's restore created or replaced is ever dropped.
    if (index < 0) throw new InputError('target', `no restore into ${target} is recorded here (or it was undone already); nothing was dropped`);
    const entry = journal[index]!;
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
    journal[index] = { ...entry, undone: true };
    writeJsonAtomic(join(dir, JOURNAL), journal);
    return { target, action: entry.previousDatabase ? 'reverted' : 'dropped', backupId: entry.backupId };
  });
}
