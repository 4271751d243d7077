/**
 * Topology-aware connection pools: primary/replica routing, named databases, stats, resize,
 * re-resolution of the primary after a failover.
 * @packageDocumentation
 */
export * from './topology/topology-provider';
export * from './topology/static-topology';
export * from './topology/patroni-topology';
export * from './pools/connection-loss';
export * from './pools/query-settings';
export * from './pools/cluster-pools';
export * from './pools/kysely-on';
