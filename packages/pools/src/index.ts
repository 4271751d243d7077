/**
 * Topology-aware connection pools: primary/replica routing, named databases, stats, resize,
 * re-resolution of the primary after a failover.
 * @packageDocumentation
 */
// The topology providers live in @pgcluster/core (every package resolves the cluster through
// them); re-exported here so code that imported them from @pgcluster/pools keeps working.
export {
  MEMBER_ROLES,
  createPatroniTopology,
  createStaticTopology,
  createTopologyProvider,
  memberUrlFromTemplate,
  type MemberRole,
  type PatroniTopologyConfig,
  type StaticTopologyConfig,
  type Topology,
  type TopologyMember,
  type TopologyProvider,
} from '@pgcluster/core';
export { isConnectionLoss, isReadOnlyRejection } from './pools/connection-loss';
export { type QuerySettings } from './pools/query-settings';
export {
  createClusterPools,
  POOL_PURPOSES,
  type PoolPurpose,
  MAX_POOL_SIZE,
  type ClusterPoolsOptions,
  type TransactionOptions,
  type RouteInfo,
  type PoolStats,
  type ResizeRequest,
  type ResizeResult,
  ClusterPools,
} from './pools/cluster-pools';
export { kyselyOn } from './pools/kysely-on';
