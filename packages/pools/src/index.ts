/**
 * Topology-aware connection pools: primary/replica routing, named databases, stats, resize,
 * re-resolution of the primary after a failover.
 * @packageDocumentation
 */
export {
  MEMBER_ROLES,
  type MemberRole,
  type TopologyMember,
  type Topology,
  type TopologyProvider,
} from './topology/topology-provider';
export { createStaticTopology, type StaticTopologyConfig } from './topology/static-topology';
export {
  memberUrlFromTemplate,
  createPatroniTopology,
  type PatroniTopologyConfig,
} from './topology/patroni-topology';
export { isConnectionLoss, isReadOnlyRejection } from './pools/connection-loss';
export { type QuerySettings } from './pools/query-settings';
export {
  createClusterPools,
  createTopologyProvider,
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
