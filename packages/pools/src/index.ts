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
  parsePatroniCluster,
  type MemberRole,
  type PatroniClusterJson,
  type PatroniMemberJson,
  type PatroniTopologyConfig,
  type StaticTopologyConfig,
  type Topology,
  type TopologyMember,
  type TopologyProvider,
} from '@pgcluster/core';
export * from './pools/connection-loss';
export * from './pools/query-settings';
export * from './pools/cluster-pools';
export * from './pools/kysely-on';
