import { encryptFix, literal, recheck, setting, type Candidate, type SecurityCheck, type SecurityCheckContext } from '../node-check';
import type { SecurityCheckId } from '../check-catalogue';

/** The settings the node checks read (from pg_settings, in one statement). */
export const AUDITED_SETTINGS = [
  'password_encryption',
  'ssl',
  'ssl_min_protocol_version',
  'log_connections',
  'log_disconnections',
  'log_line_prefix',
  'log_statement',
  'shared_preload_libraries',
  'data_checksums',
  'ssl_key_file',
  'data_directory',
] as const;

/** `application_name` of the audit's own connections (left out of the share of connections without TLS). */
export const AUDIT_APPLICATION_NAME = 'pgcluster-security';

/** The escapes log_line_prefix needs: time (%m or %t), process (%p), user (%u), database (%d), client (%h or %r). */
const PREFIX_PARTS: ReadonlyArray<[RegExp, string]> = [
  [/%[mtn]/, 'time (%m)'],
  [/%[pc]/, 'process (%p)'],
  [/%u/, 'user (%u)'],
  [/%d/, 'database (%d)'],
  [/%[hr]/, 'client (%h)'],
];

/** A log_line_prefix with every part {@link PREFIX_PARTS} wants. */
export const RECOMMENDED_LOG_LINE_PREFIX = '%m [%p] user=%u,db=%d,app=%a,client=%h ';

const TLS_ORDER = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

function alterSystem(name: string, value: string): string {
  return `ALTER SYSTEM SET ${name} = ${literal(value)}; SELECT pg_reload_conf()`;
}

/** ssl and its minimum version are set (with certificates) by security-encrypt; the others are a statement and a re-check. */
function settingCandidate(id: SecurityCheckId, name: string, value: string, expected: string, message: string, remedy: string): Candidate {
  const recommendation =
    id === 'ssl_off'
      ? encryptFix({}, 'creates a CA and node certificates and turns ssl on with a reload')
      : id === 'tls_min_version'
        ? encryptFix({ minProtocol: 'TLSv1.2' }, 'sets ssl_min_protocol_version on every node')
        : id === 'pgaudit_absent'
          ? { skill: 'security-pgaudit', input: {}, why: "preloads pgaudit with a planned restart (replicas first), creates the extension and sets pgaudit.log = 'ddl, role, write'" }
          : recheck(id);
  return { object: name, value, expected, unit: 'setting', message, remedy, recommendation };
}

/** A boolean setting that must be on. */
function mustBeOn(id: 'log_connections' | 'log_disconnections', why: string): SecurityCheck {
  return {
    id,
    collect: async (ctx) => {
      const value = setting(ctx, id);
      return value === 'on' ? [] : [settingCandidate(id, id, value, 'on', `${id} is ${value}: ${why}`, alterSystem(id, 'on'))];
    },
  };
}

async function connectionsWithoutSsl(ctx: SecurityCheckContext): Promise<Candidate[]> {
  // Other roles' client_addr is hidden from a role without pg_read_all_stats: those sessions are not counted.
  const [row] = await ctx.query<{ tcp: number; plain: number }>(
    `select count(*)::int as tcp, count(*) filter (where not coalesce(s.ssl, false))::int as plain
       from pg_stat_activity a left join pg_stat_ssl s on s.pid = a.pid
      where a.backend_type = 'client backend' and a.client_addr is not null
        and a.pid <> pg_backend_pid() and a.application_name <> $1`,
    [AUDIT_APPLICATION_NAME],
  );
  if (!row || row.plain === 0) return [];
  const share = Math.round((row.plain / row.tcp) * 1000) / 10;
  return [
    {
      object: 'pg_stat_ssl',
      value: share,
      expected: '0',
      unit: 'percent',
      message: `${row.plain} of ${row.tcp} TCP client connection(s) (${share}%) are not encrypted: their queries, results and password exchanges cross the network in clear`,
      remedy: 'turn ssl on, make clients use sslmode=verify-full, then change host lines to hostssl in pg_hba.conf',
      recommendation: encryptFix({}, 'TLS on every node and verify-full in the config, so clients reconnect encrypted'),
    },
  ];
}

/**
 * Checks of one node's settings and sessions: password_encryption, ssl and its minimum TLS
 * version, the share of TCP client connections without TLS (pg_stat_ssl), the logging settings
 * CIS asks for, pgaudit preloaded, data checksums.
 * @example SETTING_CHECKS.map((c) => c.id)
 */
export const SETTING_CHECKS: readonly SecurityCheck[] = [
  {
    id: 'password_encryption',
    collect: async (ctx) => {
      const value = setting(ctx, 'password_encryption');
      return value === 'scram-sha-256'
        ? []
        : [settingCandidate('password_encryption', 'password_encryption', value, 'scram-sha-256', `password_encryption is ${value}: every password set from now on is stored as a replayable MD5 hash`, alterSystem('password_encryption', 'scram-sha-256'))];
    },
  },
  {
    id: 'ssl_off',
    collect: async (ctx) => {
      const value = setting(ctx, 'ssl');
      return value === 'on'
        ? []
        : [settingCandidate('ssl_off', 'ssl', value, 'on', 'ssl is off: no connection to this node can be encrypted', "put a certificate and key in the data directory (ssl_cert_file, ssl_key_file), then ALTER SYSTEM SET ssl = 'on'; SELECT pg_reload_conf()")];
    },
  },
  {
    id: 'tls_min_version',
    collect: async (ctx) => {
      const value = setting(ctx, 'ssl_min_protocol_version');
      return TLS_ORDER.indexOf(value) >= TLS_ORDER.indexOf('TLSv1.2')
        ? []
        : [settingCandidate('tls_min_version', 'ssl_min_protocol_version', value || '(none)', 'TLSv1.2 or TLSv1.3', `ssl_min_protocol_version is ${value || 'unset'}: clients may negotiate TLS versions with known weaknesses`, alterSystem('ssl_min_protocol_version', 'TLSv1.2'))];
    },
  },
  { id: 'clients_without_ssl', collect: connectionsWithoutSsl },
  mustBeOn('log_connections', 'attempted and successful logins leave no trace in the server log'),
  mustBeOn('log_disconnections', 'session ends and durations leave no trace in the server log'),
  {
    id: 'log_line_prefix',
    collect: async (ctx) => {
      const value = setting(ctx, 'log_line_prefix');
      const missing = PREFIX_PARTS.filter(([re]) => !re.test(value)).map(([, part]) => part);
      return missing.length === 0
        ? []
        : [settingCandidate('log_line_prefix', 'log_line_prefix', value, RECOMMENDED_LOG_LINE_PREFIX, `log_line_prefix lacks ${missing.join(', ')}: log lines cannot be traced to who did what from where`, alterSystem('log_line_prefix', RECOMMENDED_LOG_LINE_PREFIX))];
    },
  },
  {
    id: 'log_statement',
    collect: async (ctx) => {
      const value = setting(ctx, 'log_statement');
      return value === 'none'
        ? [settingCandidate('log_statement', 'log_statement', value, 'ddl (or mod, all)', 'log_statement is none: schema and role changes leave no trace in the server log', alterSystem('log_statement', 'ddl'))]
        : [];
    },
  },
  {
    id: 'pgaudit_absent',
    collect: async (ctx) => {
      const value = setting(ctx, 'shared_preload_libraries');
      const loaded = value.split(',').map((s) => s.trim().replace(/^"|"$/g, ''));
      return loaded.includes('pgaudit')
        ? []
        : [
            settingCandidate(
              'pgaudit_absent',
              'shared_preload_libraries',
              value || '(empty)',
              'includes pgaudit',
              'pgaudit is not preloaded: there is no session or object audit trail (who read or changed what)',
              `install postgresql-15-pgaudit; ALTER SYSTEM SET shared_preload_libraries = ${[...loaded.filter(Boolean), 'pgaudit'].map(literal).join(', ')}; restart; CREATE EXTENSION pgaudit; ALTER SYSTEM SET pgaudit.log = 'ddl, role, write'`,
            ),
          ];
    },
  },
  {
    id: 'data_checksums',
    collect: async (ctx) => {
      const value = setting(ctx, 'data_checksums');
      return value === 'on'
        ? []
        : [settingCandidate('data_checksums', 'data_checksums', value, 'on', 'data checksums are off: silent corruption of data pages goes undetected', 'stop the node cleanly, run pg_checksums --enable -D <data directory> as its OS user, start it (each node of the cluster)')];
    },
  },
];
