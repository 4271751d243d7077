/**
 * @pgcluster/operations — cluster status, scale, backup/restore and failover.
 *
 * @example
 * ```ts
 * import { loadConfig } from '@pgcluster/core'
 * import { checkClusterStatus } from '@pgcluster/operations'
 *
 * const report = await checkClusterStatus(loadConfig().config)
 * console.log(report.status, report.alerts)
 * ```
 * @packageDocumentation
 */
export { checkClusterStatus, type CheckClusterStatusOptions } from './status/check-cluster-status';
export { assessClusterStatus, UNINDEXED_VECTOR_MIN_ROWS } from './status/assess-cluster-status';
export { collectNodeFacts, describeNodeError, STATUS_APPLICATION_NAME, type CollectNodeOptions } from './status/collect-node-facts';
export * from './status/cluster-status-schema';
export type * from './status/node-facts';
export { ClusterStatusSkill } from './skills/cluster-status.skill';
export * from './backup/backup-catalogue';
export * from './backup/backup-context';
export * from './backup/pg-tools';
export * from './backup/create-backup';
export * from './backup/verify-backup';
export * from './backup/restore-backup';
export * from './backup/list-backups';
export * from './backup/prune-backups';
export * from './backup/restore-journal';
export * from './backup/backup-skill-schema';
export * from './backup/plan-backup-action';
export { ClusterBackupSkill, backupContext } from './skills/cluster-backup.skill';
export { ClusterRestoreSkill } from './skills/cluster-restore.skill';
export * from './failover/failover-schema';
export * from './failover/choose-candidate';
export * from './failover/inspect-nodes';
export { isLocalDataDir } from './failover/local-node';
export * from './failover/native-failover';
export * from './failover/patroni-failover';
export * from './failover/run-failover';
export { ClusterFailoverSkill } from './skills/cluster-failover.skill';
export * from './scale/scale-schema';
export * from './scale/pgbouncer-admin';
export * from './scale/scale-cluster';
export { ClusterScaleSkill } from './skills/cluster-scale.skill';
export { collectPgbouncerStatus, patroniStatusOf, withHaStatus } from './status/collect-ha-status';
