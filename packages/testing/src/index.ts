/**
 * @pgcluster/testing — real PostgreSQL 15 + pgvector clusters (a primary and streaming
 * replicas) for tests, benchmarks and `pgcluster dev`: from the local PostgreSQL binaries,
 * an existing server's URL, or testcontainers where a Docker engine runs.
 *
 * The Jest environment lives at `@pgcluster/testing/jest-environment` (not re-exported
 * here, so nothing outside Jest loads Jest).
 * @packageDocumentation
 */
export { attachCluster } from './cluster/attach-cluster';
export {
  NODE_ROLES,
  type NodeRole,
  NODE_STATES,
  type NodeState,
  type NodeHandle,
  type NodeStatus,
  type StopClusterOptions,
  type NodeRef,
  type ClusterHandle,
} from './cluster/cluster-handle';
export {
  CLUSTER_PROVIDERS,
  type ClusterProvider,
  MAX_REPLICAS,
  DEFAULT_EXTENSIONS,
  CLUSTER_ENV,
  type StartClusterOptions,
  type ResolvedClusterOptions,
} from './cluster/cluster-options';
export { startCluster } from './cluster/start-cluster';
export { useCluster } from './jest/use-cluster';
export { isHaClusterHandle, type HaClusterHandle } from './ha/ha-cluster-handle';
export { isLeaderRole, type PatroniMember } from './ha/patroni-api';
export { HA_STATE_FILE } from './ha/ha-state';
export { CLUSTER_STATE_FILE } from './local/cluster-state';
export { dockerEngineAnswers, TESTCONTAINERS_SKIP_MESSAGE } from './testcontainers/testcontainers-cluster';
export { findSecret, type SecretSighting } from './local/find-secret';
export { LOG_DIRECTORY, readServerLog, renderJsonlogLine, serverLogFiles } from './local/server-log';
export { stopRecordedServers } from './local/recorded-servers';
export { plantLockPid, startZombie, type Zombie } from './local/zombie';
