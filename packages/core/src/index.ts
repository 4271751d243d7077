/**
 * @pgcluster/core — configuration, connections, errors, redaction and the state dir,
 * shared by every other pgcluster package.
 * @packageDocumentation
 */
export { PostgresUrl, NodeConfig, ClusterConfig, type ClusterConfigInput } from './config/cluster-config';
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
  QueryError,
} from './errors/query-error';
export { redactUrl, redactSecrets, SECRET_KEY_PATTERN, REDACTED } from './redaction/redact';
export { ensureStateSubdir } from './state/state-dir';
