import { InputError, ensureStateSubdir } from '@pgcluster/core';
import { Skill, type ActionInput, type SkillActions, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { ClusterRestoreInput, ClusterRestoreOutput } from '../backup/backup-skill-schema';
import { restorePlans } from '../backup/plan-backup-action';
import { restoreBackup, undoPhysicalRestore, type RestoreResult } from '../backup/restore-backup';
import { undoRestore } from '../backup/restore-journal';
import { join } from 'node:path';
import { archiveForRestore, chooseBaseBackup, flushToArchive, pgbackrestArchiveDir, recoveryTarget, type RecoveryTarget } from '../backup/point-in-time';
import { restorePgbackrestToPoint } from '../backup/pgbackrest-restore';
import { refuseUnlessStatic, replaceCluster, undoReplace, type RebuiltReplica, type ReplaceResult } from '../backup/replace-cluster';
import { backupContext } from './cluster-backup.skill';
import { CLUSTER_COPY_TIMEOUT_MS } from '../backup/backup-context';

/**
 * `cluster-restore`: restores a `cluster-backup` backup — logical into a new or an existing
 * database, physical into a new data directory (optionally started as a new node), a point in
 * time as a new node or, with `replace`, in place of a local cluster's data — and undoes a restore. Split from `cluster-backup` because it requires confirmation.
 *
 * @example
 * ```ts
 * const envelope = await executeSkill(ClusterRestoreSkill, { id, target: 'app_check' }, { actor: 'cli', yes: true })
 * // envelope.rollback: { skill: 'cluster-restore', input: { action: 'undo', target: 'app_check', restore: 'k3x9a0b2' } }
 * ```
 */
export class ClusterRestoreSkill {
  @Skill({
    name: 'cluster-restore',
    category: 'operations',
    description:
      'Restores a cluster-backup backup after checking it: into a new or an existing database (undoable) or as a new node. ' +
      'Use when data was lost or damaged, or to rehearse disaster recovery.',
    details:
      'Restores a backup taken by cluster-backup, after verifying its checksums: a logical backup into a new database (the ' +
      'default, named <database>_restored_<time>) or into an existing one, which is replaced only after the restore succeeded ' +
      'in a scratch database and whose old contents are kept under another name so the restore can be undone; a physical ' +
      'backup into a new data directory, optionally started as a new, independent node on a free loopback port; to a point in ' +
      'time (--to-time, --to-lsn, --to-restore-point): the newest physical backup before it plus archived WAL, started as a ' +
      'new node, reporting the exact point reached (LSN, last replayed transaction time); with --replace (a cluster pgcluster ' +
      'runs locally: static topology, data directories on this machine; not Patroni) the point replaces the cluster: ' +
      'recovered beside the primary\'s data directory until it paused at the target (a failure until then changes nothing), ' +
      'then the primary is stopped, its data directory kept as <dataDir>.replaced-<time>, the recovered one swapped in with ' +
      'the primary\'s own configuration (port, archiving, hba) and promoted on the same port (it keeps archiving on a new ' +
      'timeline), its replication slots recreated and every replica re-cloned from it (pg_basebackup); a failure after the ' +
      'swap puts the old data directory back. Undo (--replaced, the rollback) swaps the kept one back and re-clones the ' +
      'replicas. A restore and an undo run up to 30 minutes unless --timeout says otherwise. Also undoes one logical restore (by its restore id, else the latest into a database). Requires confirmation.',
    version: '1.0.0',
    risk: 'destructive',
    autonomous: false,
    requiresConfirmation: true,
    idempotent: false,
    whenToUse: [
      'data was deleted or damaged and must be brought back',
      'the user wants to look at an earlier state next to the current one',
      'rehearsing disaster recovery: restore the latest backup as a new node and check it',
      'a table was dropped or data damaged at a known time: restore to just before it as a new node and copy the data back',
      'the whole cluster must go back to a point in time (a bad migration): restore to it with --replace',
    ],
    interpret:
      'data.restore says where the backup went: target (and created true for a new database, or previousDatabase where the ' +
      'replaced contents are kept), or dataDir and port for a physical restore; undo says how to reverse it, and the envelope\'s ' +
      'rollback runs it (pgcluster audit undo <audit id>). Exit 3 means it was not confirmed and nothing changed; exit 2 with a ' +
      'failed verification means the backup is damaged and nothing was restored. A point-in-time restore reports ' +
      'data.restore.recovery: lsn and lastTransactionTime say exactly where recovery stopped (stopLine is the server\'s own ' +
      'line), window the data covered, rtoMs the time until the node took writes; a target the archive does not reach fails ' +
      'and leaves nothing behind. With --replace, data.replace says which primary was replaced, keptDir (its old data ' +
      'directory), the slots recreated, each replica rebuilt and streaming, rtoMs and writesDownMs (writes stopped until the ' +
      'primary took them again); an alert names a replica that could not be re-cloned.',
    decisionTree: [
      { when: 'the restore failed verification', skill: 'cluster-backup', input: { action: 'list' }, why: 'pick another backup' },
      { when: 'the restored data looks right and the kept previous database is no longer needed', skill: 'cluster-status', input: {}, why: 'check the cluster, then drop the kept database by hand' },
      { when: 'the restore was a mistake', skill: 'cluster-restore', input: { action: 'undo', target: '<database>', restore: '<restore_id>' } },
      { when: 'a --replace was a mistake', skill: 'cluster-restore', input: { action: 'undo', replaced: '/var/lib/postgresql/15/main.replaced-<time>' }, why: 'data.replace.keptDir of that run: swapped back, the replicas re-cloned' },
    ],
    examples: [
      { title: 'Restore into a new database to inspect it', skill: 'cluster-restore', input: { id: '20261124T071502Z-logical-k3x9', target: 'app_check' }, options: { yes: true } },
      { title: 'Replace an existing database (its old contents are kept)', skill: 'cluster-restore', input: { id: '20261124T071502Z-logical-k3x9', target: 'app' }, options: { yes: true } },
      { title: 'Show what a restore would do', skill: 'cluster-restore', input: { id: '20261124T071502Z-logical-k3x9', target: 'app' }, options: { dryRun: true } },
      { title: 'Start a physical backup as a new node', skill: 'cluster-restore', input: { id: '20261124T071502Z-physical-a1b2', dataDir: '/var/lib/postgresql/restore1', start: true }, options: { yes: true } },
      { title: 'Restore the cluster as it was at a time, as a new node', skill: 'cluster-restore', input: { toTime: '2026-11-30T14:02:00Z' }, options: { yes: true } },
      { title: 'Restore to a named restore point', skill: 'cluster-restore', input: { toRestorePoint: 'before-migration-42' }, options: { yes: true } },
      { title: 'Show the steps of replacing the cluster with a point in time', skill: 'cluster-restore', input: { toTime: '2026-11-30T14:02:00Z', replace: true }, options: { dryRun: true } },
      { title: 'Replace the cluster with its state at a time (old data kept for undo)', skill: 'cluster-restore', input: { toTime: '2026-11-30T14:02:00Z', replace: true }, options: { yes: true } },
      { title: 'Undo a replace (data.replace.keptDir of that run)', skill: 'cluster-restore', input: { action: 'undo', replaced: '/var/lib/postgresql/15/main.replaced-20261130T150102' }, options: { yes: true } },
      { title: 'Undo one restore into app (data.restore.restoreId of that run)', skill: 'cluster-restore', input: { action: 'undo', target: 'app', restore: 'k3x9a0b2' }, options: { yes: true } },
    ],
    input: ClusterRestoreInput,
    output: ClusterRestoreOutput,
  })
  static readonly actions: SkillActions<typeof ClusterRestoreInput, ClusterRestoreOutput> = {
    restore: {
      timeoutMs: CLUSTER_COPY_TIMEOUT_MS,
      plan: (ctx, input) => {
        const source = restoreSource(input);
        if ('target' in source && input.replace) return restorePlans.replace(ctx.loaded, input, source.target);
        return 'target' in source ? restorePlans.toPoint(ctx.loaded.stateDir, input, source.target) : restorePlans.backup(ctx.loaded.stateDir, input, source.id);
      },
      run: async (ctx, input) => {
        const source = restoreSource(input);
        if ('target' in source && input.backend === 'pgbackrest') return restorePgbackrest(ctx, input, source.target);
        const bctx = backupContext(ctx);
        if ('target' in source && input.replace) {
          refuseUnlessStatic(bctx.config);
          const archiveDir = archiveForRestore(bctx.stateDir);
          await flushToArchive(bctx).catch((error: Error) => ctx.log.warn(`could not flush WAL to the archive: ${error.message}`));
          const backupId = chooseBaseBackup(bctx.stateDir, source.target, input.id).id;
          return replaceResult(await replaceCluster(bctx, { backupId, archiveDir, target: source.target }));
        }
        let recovery;
        let id: string;
        if ('target' in source) {
          // Everything the primary wrote so far goes to the archive first, so a recent target is reachable.
          await flushToArchive(bctx).catch((error: Error) => ctx.log.warn(`could not flush WAL to the archive: ${error.message}`));
          recovery = { archiveDir: archiveForRestore(bctx.stateDir), target: source.target };
          id = chooseBaseBackup(bctx.stateDir, source.target, input.id).id;
        } else id = source.id;
        // The executor's confirmation gate already passed (requiresConfirmation), so replacing is confirmed.
        const { action: _action, id: _id, backend: _backend, toTime: _toTime, toLsn: _toLsn, toRestorePoint: _toRestorePoint, ...options } = input;
        const restore = await restoreBackup(bctx, { ...options, id, ...(recovery ? { recovery } : {}), confirm: true, ...(ctx.runId ? { auditId: ctx.runId } : {}) });
        return restoreResult(restore);
      },
    },
    undo: {
      timeoutMs: CLUSTER_COPY_TIMEOUT_MS,
      plan: (ctx, input) => restorePlans.undo(ctx.loaded.stateDir, input),
      run: async (ctx, input) => {
        const bctx = backupContext(ctx);
        if (input.replaced !== undefined) {
          const r = await undoReplace(bctx, input.replaced);
          return {
            data: { action: 'undo', replace: { node: r.node, dataDir: r.dataDir, port: r.port, keptDir: r.keptDir, restoredFrom: r.restoredFrom, replicas: r.replicas, rtoMs: r.rtoMs } },
            alerts: [`${r.node} runs from its data directory of before the replace again; the replaced-in one (with the writes since) is kept in ${r.keptDir}: delete it when not needed`, ...replicaAlerts(r.replicas)],
          };
        }
        if (input.dataDir !== undefined) return { data: { action: 'undo', removed: await undoPhysicalRestore(bctx, input.dataDir) } };
        // The action's schema requires --target without --data-dir; this only narrows the type.
        if (input.target === undefined) throw new InputError('target', 'undo needs --target (the database a logical restore went into) or --data-dir (the folder of a physical restore)');
        const { auditId, ...undo } = await undoRestore(bctx, input.target, input.restore);
        return {
          data: { action: 'undo', undo },
          // Recorded as the audit record's undoOf: `audit undo` of that restore is then refused, and `audit list` says it was undone.
          ...(auditId ? { undoes: auditId } : {}),
          ...(undo.kept.length ? { alerts: [`kept ${undo.kept.join(', ')}: the contents of ${undo.target} between the undone restores; drop them when not needed`] } : {}),
        };
      },
    },
  };
}

/**
 * Where a restore starts from: a recovery target (the base backup is chosen for it, or --id), or the
 * backup --id names; the action's schema requires one of them.
 */
function restoreSource(input: ActionInput<typeof ClusterRestoreInput, 'restore'>): { target: RecoveryTarget } | { id: string } {
  const target = recoveryTarget(input);
  if (target) return { target };
  if (input.id === undefined) throw new InputError('id', 'is required for action restore (the id of a backup, see cluster-backup --action list), unless a recovery target is given');
  return { id: input.id };
}

/** A point-in-time restore through pgBackRest, started as a new node. */
async function restorePgbackrest(ctx: SkillContext, input: ActionInput<typeof ClusterRestoreInput, 'restore'>, target: RecoveryTarget): Promise<SkillResult<ClusterRestoreOutput>> {
  const bctx = backupContext(ctx);
  const archiveDir = pgbackrestArchiveDir(bctx.stateDir);
  await flushToArchive(bctx).catch((error: Error) => ctx.log.warn(`could not flush WAL to the archive: ${error.message}`));
  const r = await restorePgbackrestToPoint(bctx, archiveDir, target, {
    dataDir: input.dataDir ?? join(ensureStateSubdir(bctx.stateDir, 'restores'), `pgbackrest-${Date.now()}`),
    ...(input.port !== undefined ? { port: input.port } : {}),
  });
  const undo = `stop the restored node and delete ${r.dataDir}`;
  return {
    data: { action: 'restore', restore: { id: `pgbackrest:${r.label}`, kind: 'physical', label: r.label, dataDir: r.dataDir, started: true, port: r.port, recovery: r.recovery, rtoMs: r.rtoMs, undo, bytes: r.bytes, durationMs: r.rtoMs } },
    rollback: { skill: 'cluster-restore', input: { action: 'undo', dataDir: r.dataDir }, why: undo },
    alerts: [`recovered to ${r.recovery.lsn} (last transaction ${r.recovery.lastTransactionTime ?? 'none'}); a new node runs from ${r.dataDir} on port ${r.port}`],
  };
}

/** The result of a native restore: its rollback (undo), and what to do next. */
function restoreResult(restore: RestoreResult): SkillResult<ClusterRestoreOutput> {
  const rollback =
    restore.kind === 'physical' && restore.dataDir
      ? { skill: 'cluster-restore', input: { action: 'undo', dataDir: restore.dataDir }, why: restore.undo }
      : restore.kind === 'logical' && restore.target && restore.restoreId && (restore.created || restore.previousDatabase)
        ? { skill: 'cluster-restore', input: { action: 'undo', target: restore.target, restore: restore.restoreId }, why: restore.undo }
        : undefined;
  return {
    data: { action: 'restore', restore },
    ...(rollback ? { rollback } : {}),
    ...(restore.previousDatabase ? { recommendations: [{ why: `the replaced contents are kept in ${restore.previousDatabase}; drop it when the restore is confirmed good` }] } : {}),
    ...(restore.started
      ? { alerts: [`${restore.recovery ? `recovered to ${restore.recovery.lsn} (last transaction ${restore.recovery.lastTransactionTime ?? 'none'}); ` : ''}a new node runs from ${restore.dataDir} on port ${restore.port}; \`pgcluster cluster-restore --action undo --data-dir ${restore.dataDir} --yes\` stops and removes it`] }
      : {}),
  };
}

/** The result of a --replace: the point reached, the kept data directory (the rollback swaps it back), the replicas, RTO. */
function replaceResult(r: ReplaceResult): SkillResult<ClusterRestoreOutput> {
  const undo = `swap ${r.keptDir} back in as ${r.node}'s data directory and re-clone the replicas`;
  return {
    data: {
      action: 'restore',
      restore: { id: r.backupId, kind: 'physical', dataDir: r.dataDir, started: true, port: r.port, recovery: r.recovery, rtoMs: r.rtoMs, undo, bytes: r.bytes, durationMs: r.durationMs },
      replace: { node: r.node, dataDir: r.dataDir, port: r.port, keptDir: r.keptDir, slots: r.slots, replicas: r.replicas, rtoMs: r.rtoMs, writesDownMs: r.writesDownMs },
    },
    rollback: { skill: 'cluster-restore', input: { action: 'undo', replaced: r.keptDir }, why: undo },
    alerts: [
      `${r.node} now runs the cluster as of ${r.recovery.lsn} (last transaction ${r.recovery.lastTransactionTime ?? 'none'}); its previous data directory is kept in ${r.keptDir}; \`pgcluster cluster-restore --action undo --replaced ${r.keptDir} --yes\` swaps it back`,
      ...replicaAlerts(r.replicas),
    ],
  };
}

function replicaAlerts(replicas: readonly RebuiltReplica[]): string[] {
  return replicas.filter((r) => !r.rebuilt || !r.streaming).map((r) => `${r.node} ${r.rebuilt ? 'was re-cloned but does not stream yet' : `could not be re-cloned (${r.error ?? 'unknown'}): it is stopped on its old data; re-clone it by hand`}`);
}
