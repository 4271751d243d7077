/**
 * @pgcluster/core — configuration, connections, errors, redaction and the state dir,
 * shared by every other pgcluster package.
 * @packageDocumentation
 */
export * from './config/cluster-config';
export * from './config/load-config';
export * from './connection/connect';
export * from './errors/pgcluster-error';
export * from './errors/query-error';
export * from './redaction/redact';
export * from './state/state-dir';
export * from './node/postmaster-locks';
export * from './node/standby-config';
export * from './node/start-data-dir';
export * from './node/server-inventory';
