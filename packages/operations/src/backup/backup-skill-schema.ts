import { z } from 'zod';
import { BACKUP_ID_PATTERN, BACKUP_KINDS, BackupRecord } from './backup-catalogue';

const DB_NAME = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case identifier (letters, digits, _; at most 63 characters)');
const BACKUP_ID = z.string().regex(BACKUP_ID_PATTERN, 'must be a backup id like 20261124T071502Z-logical-k3x9 (see --action list)');

/** Actions of `cluster-backup`; restore is its own skill, `cluster-restore` (it needs confirmation, these do not). */
export const BACKUP_ACTIONS = ['backup', 'list', 'verify', 'prune'] as const;
/** One of {@link BACKUP_ACTIONS}. */
export type BackupAction = (typeof BACKUP_ACTIONS)[number];

/**
 * Input of `cluster-backup`.
 * @example
 * ```ts
 * ClusterBackupInput.parse({ action: 'prune', keep: 3 })
 * ```
 */
export const ClusterBackupInput = z
  .object({
    action: z.enum(BACKUP_ACTIONS).default('backup').describe('backup (take one), list (the catalogue), verify (checksums and tool checks of one backup), prune (delete all but the newest --keep verified backups; deleting a sound one needs --yes).'),
    kind: z.enum(BACKUP_KINDS).optional().describe('backup: logical (pg_dump -Fc per database, default) or physical (pg_basebackup with WAL, the whole cluster). list/prune: only this kind.'),
    databases: z.array(DB_NAME).optional().describe('backup, logical: configured names (project, shared) or database names; default every configured database.'),
    id: BACKUP_ID.optional().describe('verify: the backup to check.'),
    keep: z.number().int().min(1, 'must be at least 1: prune never deletes the newest verified backup').optional().describe('prune: how many of the newest verified backups to keep (at least 1); the newest verified backup of every kind and database is always kept.'),
  })
  .superRefine((input, ctx) => {
    if (input.action === 'verify' && !input.id) ctx.addIssue({ code: 'custom', path: ['id'], message: 'verify needs the id of a backup (see --action list)' });
    if (input.action === 'prune' && input.keep === undefined) ctx.addIssue({ code: 'custom', path: ['keep'], message: 'prune needs --keep N (at least 1)' });
    if (input.action !== 'backup' && input.databases) ctx.addIssue({ code: 'custom', path: ['databases'], message: 'only the backup action takes databases' });
    if (input.kind === 'physical' && input.databases) ctx.addIssue({ code: 'custom', path: ['databases'], message: 'a physical backup always holds every database' });
  });
/** Input of `cluster-backup`. */
export type ClusterBackupInput = z.output<typeof ClusterBackupInput>;

const VerifyCheckSchema = z.object({ check: z.string(), ok: z.boolean(), detail: z.string() });

/** `data` of a `cluster-backup` run: the part for the action taken is set. */
export const ClusterBackupOutput = z.object({
  action: z.enum(BACKUP_ACTIONS).describe('The action taken.'),
  backup: BackupRecord.optional().describe('backup: the new catalogue entry.'),
  backups: z.array(BackupRecord).optional().describe('list: the catalogue, newest first.'),
  count: z.number().int().optional().describe('list: how many backups.'),
  totalBytes: z.number().int().optional().describe('list: their total size.'),
  verify: z
    .object({ id: z.string(), kind: z.enum(BACKUP_KINDS), ok: z.boolean(), checks: z.array(VerifyCheckSchema) })
    .optional()
    .describe('verify: every check with ok and detail.'),
  prune: z
    .object({
      kept: z.array(z.string()),
      removed: z.array(
        z.object({
          id: z.string(),
          size: z.number().int().describe('Bytes.'),
          soundness: z.enum(['verified', 'failed', 'unchecked']).describe('What verification said of it.'),
          reason: z.string().describe('Why it goes.'),
        }),
      ),
      failed: z.array(z.object({ id: z.string(), error: z.string() })),
      freedBytes: z.number().int(),
      dryRun: z.boolean(),
    })
    .optional()
    .describe('prune: kept ids, removed (or, in a dry run, to be removed) ids with sizes and reasons, failures.'),
});
/** `data` of a `cluster-backup` run. */
export type ClusterBackupOutput = z.output<typeof ClusterBackupOutput>;

/** Actions of `cluster-restore`. */
export const RESTORE_ACTIONS = ['restore', 'undo'] as const;

/**
 * Input of `cluster-restore`.
 * @example
 * ```ts
 * ClusterRestoreInput.parse({ id: '20261124T071502Z-logical-k3x9', target: 'app_check' })
 * ```
 */
export const ClusterRestoreInput = z
  .object({
    action: z.enum(RESTORE_ACTIONS).default('restore').describe('restore a backup, or undo a restore into --target (drop what it created, or put back what it replaced): the one named by --restore, else the latest not yet undone.'),
    restore: z.string().regex(/^[a-z0-9]{8}$/, 'must be a restore id (restoreId of a restore, 8 letters and digits)').optional().describe('undo: the restore to undo (data.restore.restoreId of that run; its rollback names it); default the latest restore into --target not yet undone.'),
    id: BACKUP_ID.optional().describe('restore: the backup to restore (see cluster-backup --action list).'),
    database: DB_NAME.optional().describe('restore, logical: which database of the backup; needed when it holds several.'),
    target: DB_NAME.optional().describe('restore, logical: the database to restore into (new by default: <database>_restored_<time>; an existing one is replaced). undo: the database whose restore to undo.'),
    keepPrevious: z.boolean().default(true).describe('restore into an existing database: keep its old contents as <target>_pre_<suffix> so the restore can be undone.'),
    dataDir: z.string().optional().describe('restore, physical: an absolute, absent or empty folder for the new data directory. undo: the folder of the physical restore to remove (its node is stopped first).'),
    start: z.boolean().default(false).describe('restore, physical: start the copy as a new, independent node on a free loopback port.'),
    port: z.number().int().min(1024).max(65535).optional().describe('restore, physical, with start: the port (default a free one).'),
  })
  .superRefine((input, ctx) => {
    if (input.action === 'restore' && !input.id) ctx.addIssue({ code: 'custom', path: ['id'], message: 'restore needs the id of a backup (see cluster-backup --action list)' });
    if (input.action === 'undo' && !input.target && !input.dataDir) ctx.addIssue({ code: 'custom', path: ['target'], message: 'undo needs --target (the database a logical restore went into) or --data-dir (the folder of a physical restore)' });
    if (input.action === 'undo' && input.target && input.dataDir) ctx.addIssue({ code: 'custom', path: ['dataDir'], message: 'undo takes --target (logical) or --data-dir (physical), not both' });
    if (input.action !== 'undo' && input.restore) ctx.addIssue({ code: 'custom', path: ['restore'], message: 'only the undo action takes a restore id' });
    if (input.dataDir !== undefined && !input.dataDir.startsWith('/')) ctx.addIssue({ code: 'custom', path: ['dataDir'], message: 'must be an absolute path' });
  });
/** Input of `cluster-restore`. */
export type ClusterRestoreInput = z.output<typeof ClusterRestoreInput>;

/** `data` of a `cluster-restore` run. */
export const ClusterRestoreOutput = z.object({
  action: z.enum(RESTORE_ACTIONS).describe('The action taken.'),
  restore: z
    .object({
      id: z.string(),
      kind: z.enum(BACKUP_KINDS),
      database: z.string().optional(),
      target: z.string().optional(),
      created: z.boolean().optional(),
      previousDatabase: z.string().optional(),
      restoreId: z.string().optional(),
      dataDir: z.string().optional(),
      started: z.boolean().optional(),
      port: z.number().int().optional(),
      undo: z.string(),
      bytes: z.number().int(),
      durationMs: z.number().int(),
    })
    .optional()
    .describe('restore: where it went, what it created or replaced, and how to undo it.'),
  undo: z
    .object({
      target: z.string(),
      action: z.enum(['dropped', 'reverted']),
      backupId: z.string(),
      restoreId: z.string().optional(),
      alsoUndone: z.array(z.string()).describe('Later restores into the target, undone with it.'),
      kept: z.array(z.string()).describe('Databases those later restores had kept: left in place, drop them when not needed.'),
    })
    .optional()
    .describe('undo: what was done to the target; the target is as it was before the undone restore.'),
  removed: z
    .object({
      dataDir: z.string(),
      backupId: z.string(),
      stopped: z.boolean().describe('A node ran from it and was stopped.'),
      bytes: z.number().int().describe('Bytes deleted.'),
    })
    .optional()
    .describe('undo of a physical restore: the data directory stopped and deleted.'),
});
/** `data` of a `cluster-restore` run. */
export type ClusterRestoreOutput = z.output<typeof ClusterRestoreOutput>;

