import type { SecurityCategory, Severity } from './finding';

/**
 * Where a check runs: on every node (its own pg_hba.conf and settings), once on the primary
 * (roles are cluster-wide), on the primary in every inspected database (schemas, functions),
 * or on the files of every node whose `dataDir` is on this machine.
 */
export const CHECK_SCOPES = ['node', 'primary', 'database', 'local'] as const;
/** One of {@link CHECK_SCOPES}. */
export type CheckScope = (typeof CHECK_SCOPES)[number];

/** One check of the catalogue. */
export interface SecurityCheckDefinition {
  category: SecurityCategory;
  severity: Severity;
  scope: CheckScope;
  /** The CIS PostgreSQL Benchmark section (numbered as pgdsat does), when one applies. */
  cis?: string;
  /** What the check verifies, in a line. */
  title: string;
}

/**
 * Every check `security-audit` runs, with its category, default severity, scope and CIS section.
 * The order is the report's order.
 * @example SECURITY_CHECKS.hba_trust.cis // '5.2'
 */
export const SECURITY_CHECKS = {
  hba_trust: { category: 'authentication', severity: 'critical', scope: 'node', cis: '5.2', title: 'no TCP line of pg_hba.conf uses trust' },
  hba_password: { category: 'authentication', severity: 'critical', scope: 'node', cis: '5.2', title: 'no TCP line of pg_hba.conf uses password (clear text)' },
  hba_md5: { category: 'authentication', severity: 'warning', scope: 'node', cis: '5.2', title: 'no TCP line of pg_hba.conf uses md5' },
  hba_open_address: { category: 'authentication', severity: 'critical', scope: 'node', cis: '5.6', title: 'no line of pg_hba.conf admits any address (0.0.0.0/0, ::/0, all)' },
  hba_all_all: { category: 'authentication', severity: 'warning', scope: 'node', cis: '5.7', title: 'no non-loopback line of pg_hba.conf admits all users to all databases' },
  hba_superuser_remote: { category: 'authentication', severity: 'warning', scope: 'node', cis: '5.8', title: 'superusers cannot log in over TCP from other hosts' },
  hba_host_without_ssl: { category: 'encryption', severity: 'warning', scope: 'node', cis: '5.5', title: 'non-loopback clients must use TLS (hostssl, not host)' },
  password_encryption: { category: 'authentication', severity: 'warning', scope: 'node', cis: '5.9', title: 'password_encryption is scram-sha-256' },
  md5_password_hashes: { category: 'authentication', severity: 'warning', scope: 'primary', cis: '5.9', title: 'no role still holds an MD5 password hash' },
  login_without_password: { category: 'authentication', severity: 'critical', scope: 'primary', cis: '5.3', title: 'every login role has a password' },
  password_expiry: { category: 'authentication', severity: 'warning', scope: 'primary', title: 'every login role has a VALID UNTIL in the future' },
  unexpected_superusers: { category: 'roles', severity: 'critical', scope: 'primary', cis: '4.2', title: 'no superuser beyond the expected ones' },
  unexpected_privileged_roles: { category: 'roles', severity: 'warning', scope: 'primary', cis: '4.2', title: 'no CREATEROLE, BYPASSRLS or REPLICATION role beyond the expected ones' },
  server_file_roles: { category: 'privileges', severity: 'critical', scope: 'primary', cis: '4.2', title: 'only superusers hold pg_read_server_files, pg_write_server_files, pg_execute_server_program' },
  public_schema_create: { category: 'privileges', severity: 'critical', scope: 'database', cis: '4.8', title: 'PUBLIC cannot CREATE in schema public' },
  security_definer_search_path: { category: 'privileges', severity: 'warning', scope: 'database', cis: '4.3', title: 'every SECURITY DEFINER function fixes its search_path' },
  dangerous_function_grants: { category: 'privileges', severity: 'critical', scope: 'database', cis: '4.2', title: 'file, large-object and dblink_connect_u functions are not executable by non-superusers' },
  ssl_off: { category: 'encryption', severity: 'critical', scope: 'node', cis: '6.8', title: 'ssl is on' },
  tls_min_version: { category: 'encryption', severity: 'warning', scope: 'node', cis: '6.8', title: 'ssl_min_protocol_version is TLSv1.2 or later' },
  clients_without_ssl: { category: 'encryption', severity: 'warning', scope: 'node', cis: '5.5', title: 'every TCP client connection is encrypted (pg_stat_ssl)' },
  log_connections: { category: 'logging', severity: 'warning', scope: 'node', cis: '3.1.20', title: 'log_connections is on' },
  log_disconnections: { category: 'logging', severity: 'warning', scope: 'node', cis: '3.1.21', title: 'log_disconnections is on' },
  log_line_prefix: { category: 'logging', severity: 'warning', scope: 'node', cis: '3.1.24', title: 'log_line_prefix names the time, process, user, database and client' },
  log_statement: { category: 'logging', severity: 'warning', scope: 'node', cis: '3.1.25', title: 'log_statement logs at least DDL' },
  pgaudit_absent: { category: 'logging', severity: 'warning', scope: 'node', cis: '3.2', title: 'pgaudit is preloaded' },
  data_checksums: { category: 'files', severity: 'warning', scope: 'node', cis: '1.3.3', title: 'data checksums are on' },
  data_dir_permissions: { category: 'files', severity: 'critical', scope: 'local', cis: '2.2', title: 'the data directory is mode 0700 (or 0750)' },
  key_file_permissions: { category: 'files', severity: 'critical', scope: 'local', cis: '6.8', title: "the TLS key is mode 0600 and owned by the server's user" },
} as const satisfies Record<string, SecurityCheckDefinition>;

/** The id of a check. */
export type SecurityCheckId = keyof typeof SECURITY_CHECKS;

/** Every check id, in catalogue order. */
export const SECURITY_CHECK_IDS = Object.keys(SECURITY_CHECKS) as [SecurityCheckId, ...SecurityCheckId[]];

/**
 * The definition of one check (typed as the interface, so optional fields can be read).
 * @example checkDefinition('hba_trust').scope // 'node'
 */
export function checkDefinition(id: SecurityCheckId): SecurityCheckDefinition {
  return SECURITY_CHECKS[id];
}
