import { readCatalogue, type BackupKind, type BackupRecord } from './backup-catalogue';
import type { BackupContext } from './backup-context';

/** The result of {@link listBackups}. */
export interface BackupList {
  /** Newest first. */
  backups: BackupRecord[];
  count: number;
  totalBytes: number;
}

/**
 * Lists the catalogue, newest first, optionally one kind only.
 * @example
 * ```ts
 * const { backups, totalBytes } = listBackups({ config, stateDir })
 * ```
 */
export function listBackups(ctx: Pick<BackupContext, 'stateDir'>, options: { kind?: BackupKind } = {}): BackupList {
  const backups = readCatalogue(ctx.stateDir)
    .filter((b) => !options.kind || b.kind === options.kind)
    .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1));
  return { backups, count: backups.length, totalBytes: backups.reduce((s, b) => s + b.size, 0) };
}
