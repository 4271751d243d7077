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
export {
  collectNodeFacts,
  describeNodeError,
  STATUS_APPLICATION_NAME,
  type CollectNodeOptions,
} from './status/collect-node-facts';
export {
  CLUSTER_STATES,
  type ClusterState,
  NODE_ROLES,
  type NodeRole,
  PERFORMANCE_SOURCES,
  type PerformanceSource,
  CLUSTER_STATUS_DEFAULTS,
  ClusterStatusInput,
  type ClusterStatusInputArgs,
  ReplicationStatus,
  NodeStatus,
  NodePoolStatus,
  PoolsStatus,
  HnswIndex,
  HnswStatus,
  PerformanceStatus,
  StatusRecommendation,
  PgbouncerPoolStatus,
  PgbouncerStatus,
  PatroniMemberStatus,
  PatroniStatus,
  ClusterStatusReport,
} from './status/cluster-status-schema';
export {
  type SenderFacts,
  type ReplicaFacts,
  type HnswFacts,
  type PerformanceSample,
  type PerformanceFacts,
  type PoolFacts,
  type NodeFacts,
  type ClusterFacts,
  type StatusThresholds,
} from './status/node-facts';
export { ClusterStatusSkill } from './skills/cluster-status.skill';
export {
  findBackup,
  BACKUP_KINDS,
  type BackupKind,
  BackupFile,
  BackupRecord,
} from './backup/backup-catalogue';
export {
  BACKUP_PHASES,
  type BackupPhase,
  type BackupProgress,
  type BackupContext,
} from './backup/backup-context';
export { createBackup, type CreateBackupOptions } from './backup/create-backup';
export { verifyBackup, type VerifyCheck, type VerifyReport } from './backup/verify-backup';
export { restoreBackup, undoPhysicalRestore, RESTORE_MARK, type RestoreBackupOptions, type RestoreResult, type UndoPhysicalRestoreResult } from './backup/restore-backup';
export { replaceCluster, undoReplace, REPLACED_MARK, type ReplaceResult, type UndoReplaceResult, type RebuiltReplica } from './backup/replace-cluster';
export { listBackups, type BackupList } from './backup/list-backups';
export { pruneBackups, type PruneBackupsOptions, type PruneResult } from './backup/prune-backups';
export { undoRestore, RestoreEntry, type UndoRestoreResult } from './backup/restore-journal';
export {
  BACKUP_ACTIONS,
  type BackupAction,
  ClusterBackupInput,
  ClusterBackupOutput,
  RESTORE_ACTIONS,
  ClusterRestoreInput,
  ClusterRestoreOutput,
} from './backup/backup-skill-schema';
export { backupPlans, restorePlans, planPgbackrest } from './backup/plan-backup-action';
export {
  enableArchiving,
  disableArchiving,
  readArchivingState,
  switchAndWaitArchived,
  archiveCommand,
  restoreCommand,
  ArchivingState,
  type ArchivingChange,
  type ArchivingResult,
} from './backup/wal-archive';
export { createRestorePoint, readRestorePoints, RestorePoint } from './backup/restore-points';
export { recoveryTarget, chooseBaseBackup, lsnValue, type RecoveryTarget, type RecoveryPoint } from './backup/point-in-time';
export { restoreDrill, type DrillReport, type DrillTable } from './backup/restore-drill';
export {
  BACKUP_BACKENDS,
  type BackupBackend,
  PGBACKREST_TYPES,
  type PgbackrestType,
  PGBACKREST_COMPRESSION,
  pgbackrestBackup,
  pgbackrestInfo,
  pgbackrestVerify,
  type PgbackrestBackup,
} from './backup/pgbackrest';
export { restorePgbackrestToPoint, type PgbackrestRestoreResult } from './backup/pgbackrest-restore';
export { ClusterBackupSkill, backupContext } from './skills/cluster-backup.skill';
export { ClusterRestoreSkill } from './skills/cluster-restore.skill';
export {
  FAILOVER_ACTIONS,
  type FailoverAction,
  FAILOVER_MODES,
  type FailoverMode,
  ClusterFailoverInput,
  ClusterFailoverOutput,
  type FailoverStep,
} from './failover/failover-schema';
export { chooseCandidate, type FailoverNodeFacts, type Candidate } from './failover/choose-candidate';
export { inspectNodes } from './failover/inspect-nodes';
export { restartLocalNode } from './failover/local-node';
export { nativeFailover, type NativeFailoverOptions } from './failover/native-failover';
export { patroniFailover } from './failover/patroni-failover';
export { runFailover, planFailover } from './failover/run-failover';
export { ClusterFailoverSkill } from './skills/cluster-failover.skill';
export {
  SCALE_TARGETS,
  type ScaleTarget,
  SCALE_DIRECTIONS,
  MAX_SCALE_SIZE,
  ClusterScaleInput,
  type PgbouncerSizes,
  ClusterScaleOutput,
} from './scale/scale-schema';
export { applyPgbouncerSizes } from './scale/pgbouncer-admin';
export { planScale, scaleCluster, type ScaleClusterOptions, type ScalePlan } from './scale/scale-cluster';
export { ClusterScaleSkill } from './skills/cluster-scale.skill';
export { collectPgbouncerStatus, patroniStatusOf, withHaStatus } from './status/collect-ha-status';
// One read-only SQL statement, safely (the execute_sql of database MCP servers).
export { checkReadOnlySql, FORBIDDEN_FUNCTIONS, QUERY_KINDS, type CheckedSql, type QueryKind } from './query/sql-guard';
export { ClusterQueryInput, ClusterQueryResult, MAX_QUERY_ROWS } from './query/query-schema';
export { QUERY_APPLICATION_NAME, runReadOnlyQuery, UNTRUSTED_ROWS_WARNING } from './query/run-query';
export { ClusterQuerySkill } from './skills/cluster-query.skill';
