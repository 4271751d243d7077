import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, RefusedError } from '@pgcluster/core';
import { backupsDir, updateCatalogue, type BackupKind, type BackupRecord } from './backup-catalogue';
import type { BackupContext } from './backup-context';
import { listBackups } from './list-backups';

/** What to prune. */
export interface PruneBackupsOptions {
  /** How many of the newest verified backups to keep: an integer of at least 1. */
  keep: number;
  /** Only prune this kind (the count is per kind then); default all kinds together. */
  kind?: BackupKind;
  /** Report what would be removed and remove nothing. */
  dryRun?: boolean;
  /** Confirmed by the user (`--yes`): needed to delete a backup that may be sound (verified, or never checked). */
  confirm?: boolean;
}

/** What verification says of a backup: passed, failed, or never checked (an older catalogue). */
export type BackupSoundness = 'verified' | 'failed' | 'unchecked';

/** One backup prune keeps or deletes, and why. */
export interface PruneChoice {
  id: string;
  size: number;
  soundness: BackupSoundness;
  reason: string;
}

/** The result of {@link pruneBackups}: what was kept, removed, and what could not be removed. */
export interface PruneResult {
  kept: string[];
  /** Deleted (or, in a dry run, to be deleted), with sizes and why. */
  removed: PruneChoice[];
  failed: { id: string; error: string }[];
  freedBytes: number;
  dryRun: boolean;
}

/**
 * Decides what prune keeps, newest first, without touching anything:
 * - verified backups count toward `keep`: the newest `keep` of them are kept, and so is the
 *   newest verified backup of every kind and of every database, whatever `keep` says;
 * - a backup never checked is kept when it is newer than the oldest kept verified one (or
 *   when none is verified); it is not counted;
 * - a backup that failed verification is deleted, unless no backup of its kind is verified.
 *
 * @example
 * ```ts
 * const { keep, remove } = choosePrune(listBackups(ctx).backups, 2)
 * ```
 */
export function choosePrune(newestFirst: readonly BackupRecord[], keep: number): { keep: PruneChoice[]; remove: PruneChoice[] } {
  const verified = newestFirst.filter((b) => soundnessOf(b) === 'verified');
  const reasons = new Map<string, string>();
  const protect = (b: BackupRecord | undefined, reason: string) => b && !reasons.has(b.id) && reasons.set(b.id, reason);
  for (const b of verified.slice(0, keep)) protect(b, `one of the newest ${keep} verified backups`);
  for (const kind of new Set(newestFirst.map((b) => b.kind))) protect(verified.find((b) => b.kind === kind), `the newest verified ${kind} backup`);
  for (const db of new Set(verified.flatMap((b) => b.databases))) protect(verified.find((b) => b.databases.includes(db)), `the newest verified backup of database ${db}`);
  const keptVerified = verified.filter((b) => reasons.has(b.id));
  const oldestKept = keptVerified.at(-1);
  const out = { keep: [] as PruneChoice[], remove: [] as PruneChoice[] };
  for (const b of newestFirst) {
    const soundness = soundnessOf(b);
    let reason = reasons.get(b.id);
    let kept = reason !== undefined;
    if (soundness === 'unchecked') {
      kept = !oldestKept || b.createdAt > oldestKept.createdAt;
      reason = kept ? 'never verified, and newer than the kept verified backups (verify it)' : 'never verified, older than the kept verified backups';
    } else if (soundness === 'failed') {
      kept = !verified.some((v) => v.kind === b.kind);
      reason = kept ? `failed verification, but no ${b.kind} backup is verified: take a new one before pruning it` : 'failed verification';
    } else if (!kept) {
      reason = `verified, but older than the ${keep} kept`;
    }
    (kept ? out.keep : out.remove).push({ id: b.id, size: b.size, soundness, reason: reason! });
  }
  return out;
}

/**
 * Deletes old backups (files and catalogue entries) as {@link choosePrune} decides: never the
 * newest verified backup of a kind or a database, and only verified backups count toward
 * `keep`. Deleting a backup that may be sound (verified, or never checked) needs `confirm`;
 * without it nothing is deleted. A backup that cannot be deleted is reported in `failed`
 * and stays in the catalogue; the rest go on.
 * @throws InputError when `keep` is not an integer of at least 1; RefusedError when a sound
 *   backup would be deleted without `confirm` (nothing is removed in either case).
 * @example
 * ```ts
 * const { removed, freedBytes } = await pruneBackups({ config, stateDir }, { keep: 3, confirm: true })
 * ```
 */
export async function pruneBackups(ctx: Pick<BackupContext, 'stateDir'>, options: PruneBackupsOptions): Promise<PruneResult> {
  if (!Number.isInteger(options.keep) || options.keep < 1) {
    throw new InputError('keep', 'must be an integer of at least 1 (the number of newest verified backups to keep)');
  }
  const { backups } = listBackups(ctx, options.kind ? { kind: options.kind } : {});
  const choice = choosePrune(backups, options.keep);
  const doomed = choice.remove;
  const result: PruneResult = { kept: choice.keep.map((b) => b.id), removed: [], failed: [], freedBytes: 0, dryRun: options.dryRun === true };
  if (options.dryRun) {
    result.removed = doomed;
    result.freedBytes = doomed.reduce((s, b) => s + b.size, 0);
    return result;
  }
  const sound = doomed.filter((b) => b.soundness !== 'failed');
  // Security: a backup that may be the one that saves the data is deleted only when a person said so.
  if (sound.length && !options.confirm) {
    throw new RefusedError(`pruning would delete ${sound.length} backup(s) that may be sound: ${sound.map((b) => `${b.id} (${b.soundness}, ${b.size} bytes)`).join(', ')}; nothing was deleted`, {
      hint: 'Review the list with --dry-run, then confirm with --yes.',
    });
  }
  const dir = backupsDir(ctx.stateDir);
  const gone = new Set<string>();
  for (const b of doomed) {
    try {
      rmSync(join(dir, backups.find((r) => r.id === b.id)!.path), { recursive: true, force: true });
      gone.add(b.id);
      result.removed.push(b);
      result.freedBytes += b.size;
    } catch (error) {
      result.failed.push({ id: b.id, error: (error as Error).message });
    }
  }
  await updateCatalogue(ctx.stateDir, (all) => all.filter((b) => !gone.has(b.id)));
  return result;
}

function soundnessOf(b: BackupRecord): BackupSoundness {
  if (!b.verification) return 'unchecked';
  return b.verification.ok ? 'verified' : 'failed';
}
