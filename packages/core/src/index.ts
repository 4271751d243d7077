/**
 * @pgcluster/core — configuration, connections, errors, redaction, the state dir and the
 * cluster's topology (static or Patroni),
 * shared by every other pgcluster package.
 * @packageDocumentation
 */
export { PostgresUrl, NodeConfig, ClusterConfig, ReaderConfig, type ClusterConfigInput } from './config/cluster-config';
export { readerConfig } from './config/reader-config';
export { setPgbouncerIniValues } from './config/pgbouncer-ini';
export {
  loadConfig,
  findConfigFile,
  parseConfig,
  describeIssues,
  CONFIG_FILE_NAME,
  type LoadConfigOptions,
  type LoadedConfig,
} from './config/load-config';
export {
  createPgPool,
  createKysely,
  withClient,
  nodeAddress,
  urlWithDatabase,
  type ConnectionConfig,
} from './connection/connect';
export { readPgbouncer, type PgbouncerPool, type PgbouncerState } from './connection/pgbouncer-admin';
export {
  runInScope,
  currentRunScope,
  type RunBackend,
  type RunStopReport,
  RunScope,
} from './connection/run-scope';
export {
  ERROR_CODES,
  type ErrorCode,
  type PgClusterErrorOptions,
  PgClusterError,
  InputError,
  ConfigError,
  RefusedError,
} from './errors/pgcluster-error';
export {
  reasonForSqlState,
  QUERY_FAILURE_REASONS,
  type QueryFailureReason,
  type QueryErrorObjects,
  type QueryErrorOptions,
  QueryError,
} from './errors/query-error';
export { redactUrl, redactSecrets, jsonSyntaxError, SECRET_KEY_PATTERN, REDACTED } from './redaction/redact';
export { ensureStateSubdir } from './state/state-dir';
export {
  primaryClaimants,
  requirePrimary,
  MEMBER_ROLES,
  type MemberRole,
  type TopologyMember,
  type Topology,
  type TopologyProvider,
} from './topology/topology-provider';
export { createStaticTopology, type StaticTopologyConfig } from './topology/static-topology';
export {
  memberUrlFromTemplate,
  parsePatroniCluster,
  createPatroniTopology,
  type PatroniMemberJson,
  type PatroniClusterJson,
  type PatroniTopologyConfig,
} from './topology/patroni-topology';
export { createTopologyProvider } from './topology/create-topology-provider';
export {
  lockHolderState,
  runningPostmaster,
  prepareDataDirStart,
  childPids,
  waitUntilGone,
  type LockHolderState,
  type PostmasterLock,
  type PostmasterLockOptions,
  type PrepareStartOptions,
} from './node/postmaster-locks';
export {
  quoteConninfoValue,
  standbyConninfo,
  writePassfile,
  writeStandbyConfig,
  conninfoValue,
  type FileOwner,
} from './node/standby-config';
export {
  startDataDir,
  stopDataDir,
  rejoinAsStandby,
  controlData,
  type ServerProgramRunner,
  type StartDataDirOptions,
  type RejoinStandbyOptions,
} from './node/start-data-dir';
export { SERVER_INVENTORY_FILE, RecordedServer, recordedServers, recordServer, forgetServer } from './node/server-inventory';
