/**
 * @pgcluster/core — configuration, connections, errors, redaction, the state dir and the
 * cluster's topology (static or Patroni),
 * shared by every other pgcluster package.
 * @packageDocumentation
 */
export * from './config/cluster-config';
export * from './config/load-config';
export * from './connection/connect';
export * from './connection/run-scope';
export * from './errors/pgcluster-error';
export * from './errors/query-error';
export * from './redaction/redact';
export * from './state/state-dir';
export * from './topology/topology-provider';
export * from './topology/static-topology';
export * from './topology/patroni-topology';
export * from './topology/create-topology-provider';
