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
export * from './status/check-cluster-status';
export * from './status/assess-cluster-status';
export * from './status/collect-node-facts';
export * from './status/cluster-status-schema';
export * from './status/node-facts';
export * from './status/status-queries';
export * from './skills/cluster-status.skill';
