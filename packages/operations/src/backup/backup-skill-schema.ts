import { actionInput, type ActionInput } from '@pgcluster/skill-kit';
import { z } from 'zod';
import { BACKUP_ID_PATTERN, BACKUP_KINDS, BackupRecord } from './backup-catalogue';
import { BACKUP_BACKENDS, PGBACKREST_COMPRESSION, PGBACKREST_TYPES } from './pgbackrest';

const DB_NAME = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case identifier (letters, digits, _; at most 63 characters)');
const BACKUP_ID = z.string().regex(BACKUP_ID_PATTERN, 'must be a backup id like 20261124T071502Z-logical-k3x9 (see --action list)');

/** Actions of `cluster-backup`; restore is its own skill, `cluster-restore` (it needs confirmation, these do not). */
export const BACKUP_ACTIONS = ['backup', 'list', 'verify', 'prune', 'enable-archiving', 'disable-archiving', 'restore-point', 'drill'] as const;
/** One of {@link BACKUP_ACTIONS}. */
export type BackupAction = (typeof BACKUP_ACTIONS)[number];

const Kind = z.enum(BACKUP_KINDS).optional();
const Backend = z.enum(BACKUP_BACKENDS).optional();
const ABSOLUTE_PATH = z.string().refine((dir) => dir.startsWith('/'), 'must be an absolute path');

/**
 * Input of `cluster-backup`: each action with its own fields (see the SKILL.md's fields per action).
 * @example
 * ```ts
 * ClusterBackupInput.parse({ action: 'prune', keep: 3 })
 * ```
 */
export const ClusterBackupInput = actionInput(
  {
    backup: z
      .object({
        kind: Kind.describe('logical (pg_dump -Fc per database, default) or physical (pg_basebackup with WAL, the whole cluster).'),
        databases: z.array(DB_NAME).optional().describe('For a logical backup: configured names (project, shared) or database names; default every configured database.'),
        backend: Backend.describe('native (pg_dump / pg_basebackup, the default) or pgbackrest (set up by enable-archiving --backend pgbackrest).'),
        type: z.enum(PGBACKREST_TYPES).optional().describe('With --backend pgbackrest: full, diff or incr (default incr, full when there is none).'),
      })
      .superRefine((input, ctx) => {
        if (input.kind === 'physical' && input.databases) ctx.addIssue({ code: 'custom', path: ['databases'], message: 'a physical backup always holds every database' });
        if (input.backend === 'pgbackrest' && (input.kind || input.databases)) ctx.addIssue({ code: 'custom', path: ['kind'], message: 'pgbackrest backs up the whole cluster; omit kind and databases' });
        if (input.backend !== 'pgbackrest' && input.type) ctx.addIssue({ code: 'custom', path: ['type'], message: 'type applies to --backend pgbackrest' });
      }),
    list: z.object({
      kind: Kind.describe('Only this kind.'),
      backend: Backend.describe('native (the catalogue, the default) or pgbackrest (its repository).'),
    }),
    verify: z
      .object({
        id: BACKUP_ID.optional().describe('The backup to check (see --action list); required unless --backend pgbackrest.'),
        backend: Backend.describe('native (the default) or pgbackrest (checks its whole repository; no id).'),
      })
      .superRefine((input, ctx) => {
        if (input.backend === 'pgbackrest' && input.id) ctx.addIssue({ code: 'custom', path: ['id'], message: 'pgbackrest verifies its whole repository; omit the id' });
        if (input.backend !== 'pgbackrest' && !input.id) ctx.addIssue({ code: 'custom', path: ['id'], message: 'is required for action verify (the id of a backup, see --action list)' });
      }),
    prune: z.object({
      keep: z.number().int().min(1, 'must be at least 1: prune never deletes the newest verified backup').describe('How many of the newest verified backups to keep (at least 1); the newest verified backup of every kind and database is always kept.'),
      kind: Kind.describe('Only this kind.'),
    }),
    'enable-archiving': z
      .object({
        archiveDir: z
          .string()
          .regex(/^\/[A-Za-z0-9_./-]+$/, 'must be an absolute path of letters, digits and _ . / -')
          .optional()
          .describe('The absolute folder of the WAL archive (the postgres OS user must reach it); default the one used before, else <state dir>/backups/archive.'),
        backend: Backend.describe('native (a shipped archive script, the default) or pgbackrest (sets up a pgBackRest repository and stanza).'),
        compress: z.enum(PGBACKREST_COMPRESSION).optional().describe('With --backend pgbackrest: compression of backups and WAL (default lz4).'),
        processMax: z.number().int().min(1).max(32).optional().describe('With --backend pgbackrest: parallel processes for backup and restore (default 2).'),
      })
      .superRefine((input, ctx) => {
        if (input.backend !== 'pgbackrest' && (input.compress || input.processMax)) ctx.addIssue({ code: 'custom', path: [input.compress ? 'compress' : 'processMax'], message: 'compress and processMax apply to --backend pgbackrest' });
      }),
    'disable-archiving': z.object({}),
    'restore-point': z.object({
      name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/, 'must be 1–63 characters: letters, digits and _ . : - (starting with a letter or digit)').describe('Its name (letters, digits, _ . : -; at most 63).'),
    }),
    drill: z.object({
      id: BACKUP_ID.optional().describe('The physical backup to rehearse with (default the latest).'),
      dataDir: ABSOLUTE_PATH.optional().describe('An absolute, absent or empty folder for the throwaway copy; default a new folder under the system temp dir.'),
    }),
  },
  {
    default: 'backup',
    describe:
      'backup (take one), list (the catalogue), verify (checksums and tool checks of one backup), prune (delete all but the newest --keep verified backups; deleting a sound one needs --yes), ' +
      'enable-archiving / disable-archiving (WAL archiving on every node; restarts them, needs --yes), restore-point (a named point to restore to), drill (restore the latest physical backup into a throwaway node and compare it).',
  },
);
/** Input of `cluster-backup`: one of its actions' inputs. */
export type ClusterBackupInput = ActionInput<typeof ClusterBackupInput>;

const VerifyCheckSchema = z.object({ check: z.string(), ok: z.boolean(), detail: z.string() });

const RecoveryPointSchema = z.object({
  reached: z.boolean(),
  target: z.union([
    z.object({ kind: z.literal('time'), time: z.string() }),
    z.object({ kind: z.literal('lsn'), lsn: z.string() }),
    z.object({ kind: z.literal('name'), name: z.string() }),
  ]),
  lsn: z.string().describe('pg_last_wal_replay_lsn() where recovery stopped.'),
  lastTransactionTime: z.string().nullable().describe('Commit time of the last transaction replayed.'),
  stopLine: z.string().optional().describe("The server's own 'recovery stopping …' log line."),
  window: z.object({ from: z.string(), to: z.string() }).describe('Backup start to the last replayed transaction.'),
});

const ArchivingSchema = z.object({
  archiveDir: z.string(),
  backend: z.enum(BACKUP_BACKENDS),
  nodes: z.array(
    z.object({
      node: z.string(),
      role: z.string(),
      from: z.object({ archive_mode: z.string(), archive_command: z.string() }),
      to: z.object({ archive_mode: z.string(), archive_command: z.string() }),
      restarted: z.boolean(),
    }),
  ),
  firstArchived: z.string().optional().describe('enable: the WAL segment archived right after, proving the command works.'),
});

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
  archiving: ArchivingSchema.optional().describe('enable-archiving / disable-archiving: every node\'s settings before and after, and whether it restarted.'),
  pgbackrest: z
    .object({
      backup: z.object({ label: z.string(), type: z.string(), start: z.string(), stop: z.string(), size: z.number(), repoSize: z.number(), lsnStart: z.string(), lsnStop: z.string() }).optional(),
      backups: z.array(z.object({ label: z.string(), type: z.string(), start: z.string(), stop: z.string(), size: z.number(), repoSize: z.number(), lsnStart: z.string(), lsnStop: z.string() })).optional(),
      verify: z.object({ ok: z.boolean(), detail: z.string() }).optional(),
    })
    .optional()
    .describe('backend pgbackrest: the backup taken (label, type, sizes, LSNs), the backups (list), or the verify result.'),
  restorePoint: z.object({ name: z.string(), lsn: z.string(), createdAt: z.string(), node: z.string() }).optional().describe('restore-point: the point made.'),
  drill: z
    .object({
      ok: z.boolean(),
      backupId: z.string(),
      checks: z.array(VerifyCheckSchema),
      restorePoint: z.string().optional(),
      recovery: RecoveryPointSchema.optional(),
      rtoMs: z.number().int().optional().describe('From the start of the restore until the copy accepted writes.'),
      window: z.object({ from: z.string(), to: z.string() }).optional(),
      exact: z.boolean().describe('Nothing committed between the source snapshot and the restore point; only then do differences fail the drill.'),
      tables: z.array(z.object({ database: z.string(), table: z.string(), rows: z.number().int(), sourceRows: z.number().int(), match: z.boolean() })),
      removed: z.boolean(),
    })
    .optional()
    .describe('drill: the checks, the point reached, RTO, the data window and every table compared.'),
});
/** `data` of a `cluster-backup` run. */
export type ClusterBackupOutput = z.output<typeof ClusterBackupOutput>;

/** Actions of `cluster-restore`. */
export const RESTORE_ACTIONS = ['restore', 'undo'] as const;

const RestoreDataDir = ABSOLUTE_PATH.optional();
const Target = DB_NAME.optional();

/**
 * Input of `cluster-restore`: restore (a backup, or a point in time) or undo one.
 * @example
 * ```ts
 * ClusterRestoreInput.parse({ id: '20261124T071502Z-logical-k3x9', target: 'app_check' })
 * ```
 */
export const ClusterRestoreInput = actionInput(
  {
    restore: z
      .object({
        id: BACKUP_ID.optional().describe('The backup to restore (see cluster-backup --action list); with a recovery target, the base backup (default the newest before it).'),
        database: DB_NAME.optional().describe('For a logical backup: which database of the backup; needed when it holds several.'),
        target: Target.describe('For a logical backup: the database to restore into (new by default: <database>_restored_<time>; an existing one is replaced).'),
        keepPrevious: z.boolean().default(true).describe('Into an existing database: keep its old contents as <target>_pre_<suffix> so the restore can be undone.'),
        dataDir: RestoreDataDir.describe('For a physical backup: an absolute, absent or empty folder for the new data directory.'),
        start: z.boolean().default(false).describe('For a physical backup: start the copy as a new, independent node on a free loopback port.'),
        port: z.number().int().min(1024).max(65535).optional().describe('For a physical backup, with --start: the port (default a free one).'),
        backend: Backend.describe("Point in time (default native): restore from pgcluster's own physical backups and archive (native) or through pgBackRest (pgbackrest)."),
        toTime: z
          .string()
          .refine((t) => /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d(:?\d\d)?)$/.test(t) && !Number.isNaN(Date.parse(t)), 'must be an ISO 8601 time with a zone, e.g. 2026-11-30T14:02:00Z')
          .optional()
          .describe('Restore to a point in time (ISO 8601 with zone): the newest physical backup before it plus archived WAL, started as a new node.'),
        toLsn: z.string().regex(/^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/, 'must be a WAL position like 0/3000028').optional().describe('Restore to a WAL position (like 0/3000028), as --to-time.'),
        toRestorePoint: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/, 'must be 1–63 characters: letters, digits and _ . : -')
          .optional()
          .describe('Restore to a named restore point (cluster-backup --action restore-point), as --to-time.'),
        replace: z
          .boolean()
          .optional()
          .describe("With a recovery target: replace the cluster's data with that point (a local, static cluster): the primary restarts on the recovered data, its old data directory is kept for undo, the replicas are re-cloned."),
      })
      .superRefine((input, ctx) => {
        const targets = [input.toTime, input.toLsn, input.toRestorePoint].filter((t) => t !== undefined).length;
        if (input.backend === 'pgbackrest' && !targets) ctx.addIssue({ code: 'custom', path: ['backend'], message: 'pgbackrest restores take a recovery target (--to-time, --to-lsn, --to-restore-point)' });
        if (input.backend === 'pgbackrest' && input.id) ctx.addIssue({ code: 'custom', path: ['id'], message: 'pgbackrest picks its latest backup before the target; omit the id' });
        if (targets > 1) ctx.addIssue({ code: 'custom', path: ['toTime'], message: 'give one of --to-time, --to-lsn, --to-restore-point' });
        if (targets && (input.target || input.database)) ctx.addIssue({ code: 'custom', path: ['target'], message: 'a point-in-time restore makes a new node, not a database' });
        if (!input.id && !targets) ctx.addIssue({ code: 'custom', path: ['id'], message: 'is required for action restore (the id of a backup, see cluster-backup --action list), unless a recovery target is given' });
        if (input.replace && !targets) ctx.addIssue({ code: 'custom', path: ['replace'], message: 'needs a recovery target (--to-time, --to-lsn or --to-restore-point): the cluster is replaced with its state at that point' });
        if (input.replace && targets) {
          const extra = (['dataDir', 'port', 'start'] as const).find((f) => input[f] !== undefined && input[f] !== false);
          if (extra) ctx.addIssue({ code: 'custom', path: [extra], message: '--replace recovers beside the primary\'s data directory and keeps its port; leave it out' });
          if (input.backend === 'pgbackrest') ctx.addIssue({ code: 'custom', path: ['backend'], message: '--replace works with the native backend only (not supported with pgbackrest yet)' });
        }
      }),
    undo: z
      .object({
        target: Target.describe('The database whose restore to undo.'),
        restore: z.string().regex(/^[a-z0-9]{8}$/, 'must be a restore id (restoreId of a restore, 8 letters and digits)').optional().describe('The restore to undo (data.restore.restoreId of that run; its rollback names it); default the latest restore into --target not yet undone.'),
        dataDir: RestoreDataDir.describe('The folder of the physical restore to remove (its node is stopped first).'),
        replaced: ABSOLUTE_PATH.optional().describe("The old primary's data directory a --replace kept (data.replace.keptDir): swapped back in, the replicas re-cloned."),
      })
      .superRefine((input, ctx) => {
        const given = [input.target, input.dataDir, input.replaced].filter((v) => v !== undefined).length;
        if (input.replaced && given > 1) ctx.addIssue({ code: 'custom', path: ['replaced'], message: 'undo takes --replaced alone' });
        if (!given) ctx.addIssue({ code: 'custom', path: ['target'], message: 'undo needs --target (the database a logical restore went into), --data-dir (the folder of a physical restore) or --replaced (the data directory a replace kept)' });
        if (input.target && input.dataDir) ctx.addIssue({ code: 'custom', path: ['dataDir'], message: 'undo takes --target (logical) or --data-dir (physical), not both' });
        if (input.dataDir && input.restore) ctx.addIssue({ code: 'custom', path: ['restore'], message: 'a restore id goes with --target (a logical restore)' });
      }),
  },
  {
    default: 'restore',
    describe: 'restore a backup, or undo a restore into --target (drop what it created, or put back what it replaced): the one named by --restore, else the latest not yet undone; or a physical restore (--data-dir) or a --replace (--replaced).',
  },
);
/** Input of `cluster-restore`: one of its actions' inputs. */
export type ClusterRestoreInput = ActionInput<typeof ClusterRestoreInput>;

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
      label: z.string().optional().describe('pgbackrest: the backup label recovery started from.'),
      recovery: RecoveryPointSchema.optional().describe('point in time: the point reached (LSN, last replayed transaction time).'),
      rtoMs: z.number().int().optional().describe('physical, started: from the start of the restore until the node accepted connections (writes, after a point-in-time recovery).'),
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
  replace: z
    .object({
      node: z.string().describe('The primary whose data was replaced (same data directory and port).'),
      dataDir: z.string(),
      port: z.number().int(),
      keptDir: z.string().describe('restore: the old data directory, kept for undo. undo: the replaced-in one, kept (it holds the writes made since the replace).'),
      restoredFrom: z.string().optional().describe('undo: the kept data directory that is the primary\'s again.'),
      slots: z.array(z.string()).optional().describe('restore: the old primary\'s physical replication slots, recreated.'),
      replicas: z.array(z.object({ node: z.string(), rebuilt: z.boolean(), streaming: z.boolean(), error: z.string().optional() })).describe('Every replica re-cloned (pg_basebackup) from the primary, and whether it streams.'),
      rtoMs: z.number().int().describe('From the start until the primary took writes again.'),
      writesDownMs: z.number().int().optional().describe('restore: from stopping the old primary until the new one took writes.'),
    })
    .optional()
    .describe('--replace (and its undo): the primary swapped, the kept data directory, the replicas rebuilt, RTO.'),
});
/** `data` of a `cluster-restore` run. */
export type ClusterRestoreOutput = z.output<typeof ClusterRestoreOutput>;

