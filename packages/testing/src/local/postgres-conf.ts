import { standbyConninfo } from '@pgcluster/core';
import { LOG_DIRECTORY } from './server-log';

/** Where a replica streams from. */
export interface UpstreamConfig {
  host: string;
  port: number;
  user: string;
  /** The libpq password file (mode 600, the server's user's) holding the user's password: never the password itself. */
  passfile: string;
  /** The replica's name: its `application_name` and its replication slot. */
  name: string;
}

/** What one node's `postgresql.conf` says. */
export interface PostgresConfInput {
  port: number;
  /** The unix socket's folder, or null for no socket (TCP only). */
  socketDir: string | null;
  /** Sizes max_wal_senders and max_replication_slots. */
  replicas: number;
  /** `fsync = off`: for throwaway test clusters only. */
  fast: boolean;
  /** Replicas: the primary to stream from. */
  upstream?: UpstreamConfig;
  /** Primary: the replicas' names for `synchronous_standby_names = 'ANY 1 (…)'`. */
  synchronousStandbys?: readonly string[];
}

/** The longest unix socket path the kernel accepts is 107 bytes; PostgreSQL adds `/.s.PGSQL.<port>`. */
const MAX_SOCKET_DIR_LENGTH = 107 - '/.s.PGSQL.65535'.length;

/**
 * Whether `dir` is short enough to hold a PostgreSQL unix socket.
 * @example socketDirFits('/tmp/pgcluster-x/node1') // true
 */
export function socketDirFits(dir: string): boolean {
  return Buffer.byteLength(dir) <= MAX_SOCKET_DIR_LENGTH;
}

/**
 * Quotes a `postgresql.conf` string value.
 * @example quoteConfValue("it's") // "'it''s'"
 */
export function quoteConfValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * Renders a whole `postgresql.conf` for one node: loopback only, replication on,
 * pg_stat_statements preloaded, jsonlog by the logging collector into `<dataDir>/log`; replicas also get `primary_conninfo` and their slot.
 *
 * @example
 * ```ts
 * writeFileSync(join(dataDir, 'postgresql.conf'),
 *   renderPostgresqlConf({ port: 54321, socketDir: nodeDir, replicas: 2, fast: false }))
 * ```
 */
export function renderPostgresqlConf(input: PostgresConfInput): string {
  const settings: Array<[string, string | number]> = [
    ['listen_addresses', quoteConfValue('127.0.0.1')],
    ['port', input.port],
    ['unix_socket_directories', quoteConfValue(input.socketDir ?? '')],
    ['max_connections', 100],
    ['shared_buffers', quoteConfValue('64MB')],
    ['shared_preload_libraries', quoteConfValue('pg_stat_statements')],
    ['password_encryption', quoteConfValue('scram-sha-256')],
    ['wal_level', 'replica'],
    ['max_wal_senders', input.replicas + 5],
    ['max_replication_slots', input.replicas + 5],
    ['wal_keep_size', quoteConfValue('128MB')],
    ['hot_standby', 'on'],
    ['hot_standby_feedback', 'on'],
    // pg_rewind (cluster-failover --rewind) needs hint bits WAL-logged on the node it rewinds.
    ['wal_log_hints', 'on'],
    ['wal_retrieve_retry_interval', quoteConfValue('1s')],
    ['fsync', input.fast ? 'off' : 'on'],
    ['full_page_writes', input.fast ? 'off' : 'on'],
    // jsonlog through the collector, into <dataDir>/log: exact parsing for monitoring-logs, and a
    // copied data directory (replica, restore) logs into its own folder, never into its source's.
    ['logging_collector', 'on'],
    ['log_destination', quoteConfValue('jsonlog')],
    ['log_directory', quoteConfValue(LOG_DIRECTORY)],
    ['log_filename', quoteConfValue('postgresql-%Y-%m-%d_%H%M%S.log')],
    ['log_file_mode', '0600'],
    ['log_line_prefix', quoteConfValue('%m [%p] %q%u@%d ')],
  ];
  if (input.synchronousStandbys && input.synchronousStandbys.length > 0) {
    const names = input.synchronousStandbys.map((n) => `"${n.replace(/"/g, '""')}"`).join(', ');
    settings.push(['synchronous_standby_names', quoteConfValue(`ANY 1 (${names})`)]);
  }
  if (input.upstream) {
    const u = input.upstream;
    // Security: the password stays in the passfile; primary_conninfo is logged when it changes.
    const conninfo = standbyConninfo({ host: u.host, port: u.port, user: u.user, passfile: u.passfile, applicationName: u.name });
    settings.push(['primary_conninfo', quoteConfValue(conninfo)], ['primary_slot_name', quoteConfValue(u.name)]);
  }
  const lines = settings.map(([k, v]) => `${k} = ${v}`);
  return `# Written by @pgcluster/testing; rewritten whenever the node is (re)configured.\n${lines.join('\n')}\n`;
}

/**
 * Renders `pg_hba.conf`: scram-sha-256 for every TCP connection (replication included),
 * trust only over the node's own unix socket, whose folder only the server's OS user can enter.
 *
 * @example
 * ```ts
 * writeFileSync(join(dataDir, 'pg_hba.conf'), renderPgHba())
 * ```
 */
export function renderPgHba(): string {
  return [
    '# Written by @pgcluster/testing.',
    '# TYPE  DATABASE     USER  ADDRESS       METHOD',
    // Security: trust is limited to the unix socket, which lives in a mode-700 folder of the server's OS user.
    'local   all          all                 trust',
    'local   replication  all                 trust',
    'host    all          all   127.0.0.1/32  scram-sha-256',
    'host    replication  all   127.0.0.1/32  scram-sha-256',
    '',
  ].join('\n');
}
