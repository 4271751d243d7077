/**
 * @pgcluster/testing — real PostgreSQL 15 + pgvector clusters (a primary and streaming
 * replicas) for tests, benchmarks and `pgcluster dev`: from the local PostgreSQL binaries,
 * an existing server's URL, or testcontainers where a Docker engine runs.
 *
 * The Jest environment lives at `@pgcluster/testing/jest-environment` (not re-exported
 * here, so nothing outside Jest loads Jest).
 * @packageDocumentation
 */
export * from './cluster/attach-cluster';
export * from './cluster/cluster-handle';
export * from './cluster/cluster-options';
export * from './cluster/start-cluster';
export * from './jest/use-cluster';
export * from './ha/ha-cluster-handle';
export { HA_TIMINGS, renderPatroniConfig, type PatroniConfigInput } from './ha/patroni-config';
export { scramSecret, renderPgbouncerIni, renderRoleChangeScript, type PgbouncerConfigInput } from './ha/pgbouncer-config';
export { isLeaderRole, patroniMembers, type PatroniMember } from './ha/patroni-api';
export { HA_STATE_FILE, isHaClusterDir } from './ha/ha-state';
export { CLUSTER_STATE_FILE } from './local/cluster-state';
export { findFreePort } from './local/free-port';
export { dockerEngineAnswers, TESTCONTAINERS_SKIP_MESSAGE } from './testcontainers/testcontainers-cluster';
export { findSecret, type SecretSighting } from './local/find-secret';
export { stopRecordedServers } from './local/recorded-servers';
export { plantLockPid, startZombie, type Zombie } from './local/zombie';
