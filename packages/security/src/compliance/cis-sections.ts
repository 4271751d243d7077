import type { SecurityCheckId } from '../audit/check-catalogue';

/** One CIS PostgreSQL Benchmark section the compliance report lists. */
export interface CisSection {
  /** The section number, as pgdsat numbers the CIS PostgreSQL Benchmark. */
  section: string;
  title: string;
  /** The audit checks that decide it; none: a manual item a person reviews. */
  checks: readonly SecurityCheckId[];
  /** For a manual item: what to review. */
  review?: string;
}

/**
 * The CIS sections the report covers, in the benchmark's order: the automated ones decided by
 * the audit's checks, and the manual ones a person reviews (listed so the report is complete).
 * Checks without a CIS section (password_expiry) are reported under "pgcluster".
 * @example CIS_SECTIONS.find((s) => s.section === '5.2')?.checks // ['hba_trust', 'hba_password', 'hba_md5']
 */
export const CIS_SECTIONS: readonly CisSection[] = [
  { section: '1.3.3', title: 'Ensure data cluster have checksum enabled', checks: ['data_checksums'] },
  { section: '1.4', title: 'Ensure PostgreSQL versions are up-to-date', checks: [], review: 'compare SELECT version() with the latest minor release on postgresql.org' },
  { section: '1.5', title: 'Ensure unused PostgreSQL extensions are removed', checks: [], review: 'SELECT extname FROM pg_extension in each database; DROP EXTENSION what is unused' },
  { section: '2.2', title: 'Check permissions of PGDATA', checks: ['data_dir_permissions'] },
  { section: '3.1.20', title: "Ensure 'log_connections' is enabled", checks: ['log_connections'] },
  { section: '3.1.21', title: "Ensure 'log_disconnections' is enabled", checks: ['log_disconnections'] },
  { section: '3.1.24', title: "Ensure 'log_line_prefix' is set correctly", checks: ['log_line_prefix'] },
  { section: '3.1.25', title: "Ensure 'log_statement' is set correctly", checks: ['log_statement'] },
  { section: '3.2', title: 'Ensure the PostgreSQL Audit Extension (pgAudit) is enabled', checks: ['pgaudit_absent'] },
  { section: '4.2', title: 'Ensure excessive administrative privileges are revoked', checks: ['unexpected_superusers', 'unexpected_privileged_roles', 'server_file_roles', 'dangerous_function_grants'] },
  { section: '4.3', title: 'Ensure excessive function privileges are revoked', checks: ['security_definer_search_path'] },
  { section: '4.4', title: 'Ensure excessive DML privileges are revoked', checks: [], review: 'review table grants (\\dp in psql) against what each application role needs' },
  { section: '4.5', title: 'Ensure Row Level Security (RLS) is configured correctly', checks: [], review: 'review the policies of tables holding per-tenant or per-user rows (\\d+ <table>)' },
  { section: '4.7', title: 'Make use of predefined roles', checks: [], review: 'grant pg_monitor, pg_read_all_data … instead of superuser where they suffice' },
  { section: '4.8', title: 'Ensure the public schema is protected', checks: ['public_schema_create'] },
  { section: '5.1', title: 'Ensure login via "local" UNIX Domain Socket is configured correctly', checks: [], review: "review the local lines of pg_hba.conf (peer is preferred; trust only with a socket directory only the server's user can enter)" },
  { section: '5.2', title: 'Ensure login via "host" TCP/IP Socket is configured correctly', checks: ['hba_trust', 'hba_password', 'hba_md5'] },
  { section: '5.3', title: 'Ensure password complexity is configured (every login role has a password)', checks: ['login_without_password'] },
  { section: '5.5', title: 'Ensure SSL is used for client connection', checks: ['hba_host_without_ssl', 'clients_without_ssl'] },
  { section: '5.6', title: 'Ensure authorized IP address ranges are not too large', checks: ['hba_open_address'] },
  { section: '5.7', title: 'Ensure specific database and users are used', checks: ['hba_all_all'] },
  { section: '5.8', title: 'Ensure superusers are not allowed to connect remotely', checks: ['hba_superuser_remote'] },
  { section: '5.9', title: "Ensure that 'password_encryption' is correctly set", checks: ['password_encryption', 'md5_password_hashes'] },
  { section: '6.8', title: 'Ensure TLS is enabled and configured correctly', checks: ['ssl_off', 'tls_min_version', 'key_file_permissions'] },
  { section: '7.1', title: 'Ensure a replication-only user is created and used for streaming replication', checks: [], review: "check that primary_conninfo's user has REPLICATION but not SUPERUSER" },
  { section: 'pgcluster', title: 'Login roles have a password expiry (VALID UNTIL) in the future', checks: ['password_expiry'] },
];
