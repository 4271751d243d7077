import { Skill, type SkillActions, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { CLUSTER_COPY_TIMEOUT_MS, type BackupContext, type BackupProgress } from '../backup/backup-context';
import { ClusterBackupInput, ClusterBackupOutput } from '../backup/backup-skill-schema';
import { createBackup } from '../backup/create-backup';
import { listBackups } from '../backup/list-backups';
import { backupPlans, planPgbackrest } from '../backup/plan-backup-action';
import { pruneBackups } from '../backup/prune-backups';
import { verifyBackup } from '../backup/verify-backup';
import { disableArchiving, enableArchiving } from '../backup/wal-archive';
import { createRestorePoint } from '../backup/restore-points';
import { restoreDrill } from '../backup/restore-drill';
import { pgbackrestBackup, pgbackrestInfo, pgbackrestVerify } from '../backup/pgbackrest';
import { pgbackrestArchiveDir } from '../backup/point-in-time';

/**
 * `cluster-backup`: take a logical or physical backup, list the catalogue, verify a backup,
 * prune old ones. Restoring is `cluster-restore`: one skill has one confirmation flag, and
 * restore (which can replace a database) must require confirmation while a backup must not,
 * so the agent can take one unattended before a risky operation.
 *
 * @example
 * ```ts
 * const envelope = await executeSkill(ClusterBackupSkill, { action: 'backup', databases: ['project'] }, { actor: 'cli', timeoutMs: 600_000 })
 * ```
 */
export class ClusterBackupSkill {
  @Skill({
    name: 'cluster-backup',
    category: 'operations',
    description:
      'Takes, lists, verifies, prunes and drills backups (pg_dump, pg_basebackup), archives WAL, makes restore points. ' +
      'Use before a risky change, on a schedule, or to check backups.',
    details:
      'Takes and manages backups of the PostgreSQL + pgvector cluster: logical (pg_dump custom format, one file per database) ' +
      'or physical (pg_basebackup of the whole cluster with its WAL, checked with pg_verifybackup), taken from the primary ' +
      'and recorded in a catalogue in the state dir with size, SHA-256, start LSN and duration; lists the catalogue; verifies ' +
      'a backup (file checksums against the catalogue, pg_restore --list or pg_verifybackup); prunes all but the newest N verified ' +
      'backups (never the newest verified one of a kind or database; deleting a sound backup needs --yes). ' +
      'Passwords reach pg_dump and pg_basebackup through the environment only. enable-archiving turns on WAL archiving ' +
      '(archive_mode always, a shipped script that never overwrites an archived segment) on every node into an archive folder, ' +
      'restarting them (needs --yes; disable-archiving puts the previous settings back); restore-point makes a named point ' +
      '(pg_create_restore_point) to restore to; drill restores the latest physical backup plus WAL into a throwaway node, ' +
      'compares every table with the source at a restore point, reports RTO and the data window, and removes it. ' +
      'Restoring is the separate cluster-restore skill.',
    version: '1.0.0',
    risk: 'write',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: false,
    whenToUse: [
      'before a failover, switchover, scale, migration or any risky change',
      'the user asks for a backup, or which backups exist',
      'to check that a backup is intact before relying on it',
      'on a schedule, followed by prune to keep disk use bounded',
      'point-in-time recovery is wanted: enable archiving once, then take physical backups',
      'just before a risky change: make a restore point to go back to',
      'to prove backups can be restored (a drill), e.g. weekly',
    ],
    interpret:
      'backup: data.backup is the new catalogue entry (id, kind, databases, size in bytes, sha256, lsn, durationMs, path); the ' +
      'files were already checked with pg_restore --list (logical) or pg_verifybackup (physical). list: data.backups newest ' +
      'first, with count and totalBytes. verify: data.verify.ok is true only when every check passed; a failed sha256 or size ' +
      'check means the file changed since it was written (corruption or tampering) and status is degraded (exit 1). prune: ' +
      'data.prune.removed lists deleted ids with size, soundness and reason, failed those that could not be deleted; exit 3 ' +
      'means it would delete a verified (or never checked) backup and nothing was deleted: check --dry-run, then pass --yes. ' +
      'A timed-out or cancelled backup is stopped (pg_dump/pg_basebackup killed) and removed. backup and drill run up to 30 minutes unless --timeout says otherwise. ' +
      'enable-archiving: data.archiving.nodes with settings before and after; firstArchived proves WAL reaches the archive. ' +
      'restore-point: data.restorePoint.lsn. drill: data.drill.ok false (exit 1) means the backup could not be restored or differs ' +
      'from the source: see checks and tables; rtoMs and window say how long recovery took and what it covered.',
    decisionTree: [
      { when: 'verify reports ok false', skill: 'cluster-backup', input: { action: 'backup' } },
      { when: 'a sound backup exists and data must be brought back', skill: 'cluster-restore', input: { id: '<id>', target: '<new_database>' } },
      { when: 'the catalogue holds more backups than needed (totalBytes large)', skill: 'cluster-backup', input: { action: 'prune', keep: 3 } },
      { when: 'backup failed because the primary was unreachable', skill: 'cluster-status', input: {} },
      { when: 'a drill or point-in-time restore is refused because archiving is off', skill: 'cluster-backup', input: { action: 'enable-archiving' } },
      { when: 'drill reports ok false', skill: 'cluster-backup', input: { action: 'backup', kind: 'physical' }, why: 'the latest backup cannot be trusted' },
      { when: 'data must go back to the restore point', skill: 'cluster-restore', input: { toRestorePoint: '<name>' } },
    ],
    examples: [
      { title: 'Logical backup of every configured database', skill: 'cluster-backup', input: { action: 'backup' }, options: { format: 'json' } },
      { title: 'Physical backup of the whole cluster, with WAL', skill: 'cluster-backup', input: { action: 'backup', kind: 'physical' } },
      { title: 'List the catalogue', skill: 'cluster-backup', input: { action: 'list' } },
      { title: 'Verify one backup', skill: 'cluster-backup', input: { action: 'verify', id: '20261124T071502Z-logical-k3x9' } },
      { title: 'See what pruning to the newest 3 verified backups would delete, with sizes', skill: 'cluster-backup', input: { action: 'prune', keep: 3 }, options: { dryRun: true } },
      { title: 'Prune, confirming the deletion of verified backups', skill: 'cluster-backup', input: { action: 'prune', keep: 3 }, options: { yes: true } },
      { title: 'Turn on WAL archiving (restarts the nodes)', skill: 'cluster-backup', input: { action: 'enable-archiving', archiveDir: '/var/lib/postgresql/pgcluster-archive' }, options: { yes: true } },
      { title: 'Make a restore point before a migration', skill: 'cluster-backup', input: { action: 'restore-point', name: 'before-migration-42' } },
      { title: 'Rehearse a restore of the latest physical backup', skill: 'cluster-backup', input: { action: 'drill' } },
    ],
    input: ClusterBackupInput,
    output: ClusterBackupOutput,
  })
  static readonly actions: SkillActions<typeof ClusterBackupInput, ClusterBackupOutput> = {
    backup: {
      timeoutMs: CLUSTER_COPY_TIMEOUT_MS,
      plan: (ctx, input) => backupPlans.backup(ctx.loaded.config, ctx.loaded.stateDir, input),
      run: async (ctx, input) => {
        const bctx = backupContext(ctx);
        if (input.backend === 'pgbackrest') {
          const archiveDir = pgbackrestArchiveDir(bctx.stateDir);
          const existing = await pgbackrestInfo(bctx, archiveDir);
          const backup = await pgbackrestBackup(bctx, archiveDir, input.type ?? (existing.length ? 'incr' : 'full'));
          return { data: { action: 'backup', pgbackrest: { backup } }, recommendations: [{ why: 'check the repository any time', skill: 'cluster-backup', input: { action: 'verify', backend: 'pgbackrest' } }] };
        }
        const backup = await createBackup(bctx, { kind: input.kind ?? 'logical', databases: input.databases });
        return {
          data: { action: 'backup', backup },
          recommendations: [{ why: 'verify it any time', skill: 'cluster-backup', input: { action: 'verify', id: backup.id } }],
        };
      },
    },
    list: {
      risk: 'read',
      plan: (ctx, input) => backupPlans.list(ctx.loaded.stateDir, input),
      run: async (ctx, input) => {
        const bctx = backupContext(ctx);
        if (input.backend === 'pgbackrest') {
          const backups = (await pgbackrestInfo(bctx, pgbackrestArchiveDir(bctx.stateDir))).reverse();
          return { data: { action: 'list', pgbackrest: { backups }, count: backups.length, totalBytes: backups.reduce((n, b) => n + b.repoSize, 0) } };
        }
        const list = listBackups(bctx, { kind: input.kind });
        return { data: { action: 'list', backups: list.backups, count: list.count, totalBytes: list.totalBytes } };
      },
    },
    verify: {
      risk: 'read',
      plan: (ctx, input) => (input.id === undefined ? planPgbackrest(ctx.loaded.stateDir, 'verify') : backupPlans.verify(ctx.loaded.stateDir, input.id)),
      run: async (ctx, input) => {
        const bctx = backupContext(ctx);
        // The action's schema: without an id, the backend is pgbackrest (its whole repository).
        if (input.id === undefined) return verifyPgbackrest(bctx);
        const verify = await verifyBackup(bctx, input.id);
        const failed = verify.checks.filter((c) => !c.ok);
        return {
          data: { action: 'verify', verify },
          status: verify.ok ? 'ok' : 'degraded',
          alerts: failed.map((c) => `backup ${verify.id}: ${c.check} failed: ${c.detail}`),
          ...(verify.ok ? {} : { recommendations: [{ why: 'this backup is damaged: take a new one', skill: 'cluster-backup', input: { action: 'backup' } }] }),
        };
      },
    },
    prune: {
      plan: (ctx, input) => backupPlans.prune(ctx.loaded.stateDir, input),
      run: async (ctx, input) => {
        // Deleting a backup that may be sound needs the user's --yes; pruning only failed ones does not,
        // so the action does not require confirmation and the refusal (exit 3) comes from pruneBackups.
        const prune = await pruneBackups(backupContext(ctx), { keep: input.keep, kind: input.kind, confirm: ctx.confirmed === true });
        return {
          data: { action: 'prune', prune },
          status: prune.failed.length ? 'degraded' : 'ok',
          alerts: prune.failed.map((f) => `could not delete backup ${f.id}: ${f.error}`),
        };
      },
    },
    'enable-archiving': {
      // Restarts every node: sessions are cut.
      requiresConfirmation: true,
      autonomous: false,
      plan: (ctx, input) => backupPlans.enableArchiving(ctx.loaded.stateDir, input),
      run: async (ctx, input) => {
        const { action: _action, ...options } = input;
        const archiving = await enableArchiving(backupContext(ctx), { ...options, confirm: true });
        return {
          data: { action: 'enable-archiving', archiving },
          rollback: { skill: 'cluster-backup', input: { action: 'disable-archiving' }, why: 'put back the archiving settings every node had before (restarts them)' },
          recommendations: [
            archiving.backend === 'pgbackrest'
              ? { why: 'a point-in-time restore starts from a backup taken after this', skill: 'cluster-backup', input: { action: 'backup', backend: 'pgbackrest', type: 'full' } }
              : { why: 'a point-in-time restore starts from a physical backup taken after this', skill: 'cluster-backup', input: { action: 'backup', kind: 'physical' } },
          ],
        };
      },
    },
    'disable-archiving': {
      // Restarts every node whose archive_mode changes back.
      requiresConfirmation: true,
      autonomous: false,
      plan: (ctx) => backupPlans.disableArchiving(ctx.loaded.stateDir),
      run: async (ctx) => {
        const archiving = await disableArchiving(backupContext(ctx), { confirm: true });
        return { data: { action: 'disable-archiving', archiving }, alerts: [`the archive in ${archiving.archiveDir} is kept; point-in-time restores reach only up to now`] };
      },
    },
    'restore-point': {
      plan: (ctx, input) => backupPlans.restorePoint(ctx.loaded.stateDir, input),
      run: async (ctx, input) => {
        const restorePoint = await createRestorePoint(backupContext(ctx), input.name);
        return {
          data: { action: 'restore-point', restorePoint },
          recommendations: [{ why: 'to go back to it', skill: 'cluster-restore', input: { toRestorePoint: restorePoint.name } }],
        };
      },
    },
    drill: {
      timeoutMs: CLUSTER_COPY_TIMEOUT_MS,
      plan: (_ctx, input) => backupPlans.drill(input),
      run: async (ctx, input) => {
        const drill = await restoreDrill(backupContext(ctx), { id: input.id, dataDir: input.dataDir });
        const failed = drill.checks.filter((c) => !c.ok);
        return {
          data: { action: 'drill', drill },
          status: drill.ok ? 'ok' : 'degraded',
          alerts: failed.map((c) => `drill of ${drill.backupId}: ${c.check} failed: ${c.detail}`),
          ...(drill.ok ? {} : { recommendations: [{ why: 'the latest backup did not restore cleanly: take a new one', skill: 'cluster-backup', input: { action: 'backup', kind: 'physical' } }] }),
        };
      },
    },
  };
}

/** verify through pgBackRest (configured by enable-archiving --backend pgbackrest): its whole repository. */
async function verifyPgbackrest(bctx: BackupContext): Promise<SkillResult<ClusterBackupOutput>> {
  const verify = await pgbackrestVerify(bctx, pgbackrestArchiveDir(bctx.stateDir));
  return {
    data: { action: 'verify', pgbackrest: { verify } },
    status: verify.ok ? 'ok' : 'degraded',
    alerts: verify.ok ? [] : [`pgbackrest verify failed: ${verify.detail}`],
    ...(verify.ok ? {} : { recommendations: [{ why: 'the repository is damaged: take a new full backup', skill: 'cluster-backup', input: { action: 'backup', backend: 'pgbackrest', type: 'full' } }] }),
  };
}

/**
 * The {@link BackupContext} of a skill run: progress goes to the run's log (stderr), at most every 2 s.
 * @example
 * ```ts
 * const bctx = backupContext(ctx)
 * ```
 */
export function backupContext(ctx: SkillContext): BackupContext {
  let last = 0;
  return {
    config: ctx.loaded.config,
    stateDir: ctx.loaded.stateDir,
    signal: ctx.signal,
    onProgress: (p: BackupProgress) => {
      const label = `${p.phase}${p.database ? ` ${p.database}` : ''}`;
      // The logger throttles and draws progress (a bar on a terminal); a plain logger gets a line every 2 s.
      if (ctx.log.progress) return ctx.log.progress({ label, done: p.bytes, unit: 'bytes' });
      if (Date.now() - last < 2_000) return;
      last = Date.now();
      ctx.log.info(`${label}: ${(p.bytes / 1048576).toFixed(1)} MB`);
    },
  };
}
