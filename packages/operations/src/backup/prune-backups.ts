import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@pgcluster/core';
import { backupsDir, updateCatalogue, type BackupKind } from './backup-catalogue';
import type { BackupContext } from './backup-context';
import { listBackups } from './list-backups';

/** What to prune. */
export interface PruneBackupsOptions {
  /** How many of the newest backups to keep: an integer of at least 1. */
  keep: number;
  /** Only prune this kind (the count is per kind then); default all kinds together. */
  kind?: BackupKind;
  /** Report what would be removed and remove nothing. */
  dryRun?: boolean;
}

/** The result of {@link pruneBackups}: what was kept, removed, and what could not be removed. */
export interface PruneResult {
  kept: string[];
  removed: { id: string; size: number }[];
  failed: { id: string; error: string }[];
  freedBytes: number;
  dryRun: boolean;
}

/**
 * Deletes all but the newest `keep` backups (files and catalogue entries). One that cannot be
 * deleted is reported in `failed` and stays in the catalogue; the rest go on.
 * @throws InputError when `keep` is not an integer of at least 1 (nothing is removed).
 * @example
 * ```ts
 * const { removed, freedBytes } = await pruneBackups({ config, stateDir }, { keep: 3 })
 * ```
 */
export async function pruneBackups(ctx: Pick<BackupContext, 'stateDir'>, options: PruneBackupsOptions): Promise<PruneResult> {
  if (!Number.isInteger(options.keep) || options.keep < 1) {
    throw new InputError('keep', 'must be an integer of at least 1 (the number of newest backups to keep)');
  }
  const { backups } = listBackups(ctx, options.kind ? { kind: options.kind } : {});
  const kept = backups.slice(0, options.keep).map((b) => b.id);
  const doomed = backups.slice(options.keep);
  const result: PruneResult = { kept, removed: [], failed: [], freedBytes: 0, dryRun: options.dryRun === true };
  if (options.dryRun) {
    result.removed = doomed.map((b) => ({ id: b.id, size: b.size }));
    result.freedBytes = doomed.reduce((s, b) => s + b.size, 0);
    return result;
  }
  const dir = backupsDir(ctx.stateDir);
  const gone = new Set<string>();
  for (const b of doomed) {
    try {
      rmSync(join(dir, b.path), { recursive: true, force: true });
      gone.add(b.id);
      result.removed.push({ id: b.id, size: b.size });
      result.freedBytes += b.size;
    } catch (error) {
      result.failed.push({ id: b.id, error: (error as Error).message });
    }
  }
  await updateCatalogue(ctx.stateDir, (all) => all.filter((b) => !gone.has(b.id)));
  return result;
}
