import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import type { BackupContext, BackupProgress } from '../backup/backup-context';
import { ClusterBackupInput, ClusterBackupOutput } from '../backup/backup-skill-schema';
import { createBackup } from '../backup/create-backup';
import { listBackups } from '../backup/list-backups';
import { planBackupAction } from '../backup/plan-backup-action';
import { pruneBackups } from '../backup/prune-backups';
import { verifyBackup } from '../backup/verify-backup';

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
      'Takes, lists, verifies and prunes backups of the cluster: logical (pg_dump) or physical (pg_basebackup). ' +
      'Use before a failover, scale or risky change, on a schedule, or to check backups.',
    details:
      'Takes and manages backups of the PostgreSQL + pgvector cluster: logical (pg_dump custom format, one file per database) ' +
      'or physical (pg_basebackup of the whole cluster with its WAL, checked with pg_verifybackup), taken from the primary ' +
      'and recorded in a catalogue in the state dir with size, SHA-256, start LSN and duration; lists the catalogue; verifies ' +
      'a backup (file checksums against the catalogue, pg_restore --list or pg_verifybackup); prunes all but the newest N verified ' +
      'backups (never the newest verified one of a kind or database; deleting a sound backup needs --yes). ' +
      'Passwords reach pg_dump and pg_basebackup through the environment only. Restoring is the separate cluster-restore ' +
      'skill.',
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
    ],
    interpret:
      'backup: data.backup is the new catalogue entry (id, kind, databases, size in bytes, sha256, lsn, durationMs, path); the ' +
      'files were already checked with pg_restore --list (logical) or pg_verifybackup (physical). list: data.backups newest ' +
      'first, with count and totalBytes. verify: data.verify.ok is true only when every check passed; a failed sha256 or size ' +
      'check means the file changed since it was written (corruption or tampering) and status is degraded (exit 1). prune: ' +
      'data.prune.removed lists deleted ids with size, soundness and reason, failed those that could not be deleted; exit 3 ' +
      'means it would delete a verified (or never checked) backup and nothing was deleted: check --dry-run, then pass --yes. ' +
      'A timed-out or cancelled backup is stopped (pg_dump/pg_basebackup killed) and removed. Long backups need a longer --timeout.',
    decisionTree: [
      { when: 'verify reports ok false', skill: 'cluster-backup', input: { action: 'backup' } },
      { when: 'a sound backup exists and data must be brought back', skill: 'cluster-restore', input: { id: '<id>', target: '<new_database>' } },
      { when: 'the catalogue holds more backups than needed (totalBytes large)', skill: 'cluster-backup', input: { action: 'prune', keep: 3 } },
      { when: 'backup failed because the primary was unreachable', skill: 'cluster-status', input: {} },
    ],
    examples: [
      { title: 'Logical backup of every configured database', skill: 'cluster-backup', input: { action: 'backup' }, options: { format: 'json' } },
      { title: 'Physical backup of the whole cluster, with WAL', skill: 'cluster-backup', input: { action: 'backup', kind: 'physical' }, options: { timeout: 1800000 } },
      { title: 'List the catalogue', skill: 'cluster-backup', input: { action: 'list' } },
      { title: 'Verify one backup', skill: 'cluster-backup', input: { action: 'verify', id: '20261124T071502Z-logical-k3x9' } },
      { title: 'See what pruning to the newest 3 verified backups would delete, with sizes', skill: 'cluster-backup', input: { action: 'prune', keep: 3 }, options: { dryRun: true } },
      { title: 'Prune, confirming the deletion of verified backups', skill: 'cluster-backup', input: { action: 'prune', keep: 3 }, options: { yes: true } },
    ],
    input: ClusterBackupInput,
    output: ClusterBackupOutput,
  })
  static async run(ctx: SkillContext, input: ClusterBackupInput): Promise<SkillResult<ClusterBackupOutput>> {
    const bctx = backupContext(ctx);
    switch (input.action) {
      case 'backup': {
        const backup = await createBackup(bctx, { kind: input.kind ?? 'logical', ...(input.databases ? { databases: input.databases } : {}) });
        return {
          data: { action: 'backup', backup },
          recommendations: [{ why: 'verify it any time', skill: 'cluster-backup', input: { action: 'verify', id: backup.id } }],
        };
      }
      case 'list': {
        const list = listBackups(bctx, input.kind ? { kind: input.kind } : {});
        return { data: { action: 'list', backups: list.backups, count: list.count, totalBytes: list.totalBytes } };
      }
      case 'verify': {
        const verify = await verifyBackup(bctx, input.id!);
        const failed = verify.checks.filter((c) => !c.ok);
        return {
          data: { action: 'verify', verify },
          status: verify.ok ? 'ok' : 'degraded',
          alerts: failed.map((c) => `backup ${verify.id}: ${c.check} failed: ${c.detail}`),
          ...(verify.ok ? {} : { recommendations: [{ why: 'this backup is damaged: take a new one', skill: 'cluster-backup', input: { action: 'backup' } }] }),
        };
      }
      case 'prune': {
        // Deleting a backup that may be sound needs the user's --yes, though the skill as a whole does not.
        const prune = await pruneBackups(bctx, { keep: input.keep!, ...(input.kind ? { kind: input.kind } : {}), confirm: ctx.confirmed === true });
        return {
          data: { action: 'prune', prune },
          status: prune.failed.length ? 'degraded' : 'ok',
          alerts: prune.failed.map((f) => `could not delete backup ${f.id}: ${f.error}`),
        };
      }
    }
  }

  /** The statements and command lines a run would use (credentials by name only), or the files prune would delete. */
  static plan(ctx: SkillContext, input: ClusterBackupInput): Promise<PlanStep[]> {
    return planBackupAction(ctx.loaded.config, ctx.loaded.stateDir, input);
  }
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
