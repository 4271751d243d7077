/** What one Patroni node's configuration says. */
export interface PatroniConfigInput {
  /** The cluster's name in the DCS (Patroni's `scope`). */
  scope: string;
  /** The member name, e.g. `node1`. */
  name: string;
  host: string;
  /** PostgreSQL's port. */
  port: number;
  /** Patroni's REST API port. */
  restPort: number;
  /** etcd's v3 client endpoint, `host:port`. */
  etcdHosts: string;
  dataDir: string;
  binDir: string;
  /** Where Patroni writes the pgpass file it uses for replication and pg_rewind. */
  pgpass: string;
  /** The unix socket's folder, or null for none (TCP only). */
  socketDir: string | null;
  superuser: { username: string; password: string };
  replication: { username: string; password: string };
  /** Patroni's DCS timings: seconds. */
  ttl: number;
  loopWait: number;
  retryTimeout: number;
  /** The largest WAL lag (bytes) at which a replica may still be promoted. */
  maximumLagOnFailover: number;
  /** `synchronous_mode: true`: a commit waits for one replica, and only a synchronous replica is promoted. */
  synchronous: boolean;
  /** `fsync = off`: throwaway clusters only. */
  fast: boolean;
  /** Script Patroni calls on start and on every role change (`<script> <action> <role> <scope>`). */
  callback?: string;
}

/** The DCS timings the dev/test HA cluster uses: small, so that a failover takes seconds. */
export const HA_TIMINGS = { ttl: 10, loopWait: 2, retryTimeout: 4 } as const;

/**
 * Renders one Patroni node's configuration as a YAML document (written in JSON flow style,
 * which YAML parsers read as is and which quotes every value safely): scope and name, the REST
 * API, etcd v3, bootstrap DCS timings with `synchronous_mode`, `pg_hba`, authentication, and
 * the PostgreSQL parameters (pg_stat_statements preloaded, loopback only).
 *
 * @example
 * ```ts
 * writeFileSync('node1.yml', renderPatroniConfig({ scope: 'pgcluster', name: 'node1', host: '127.0.0.1', port: 54321,
 *   restPort: 54331, etcdHosts: '127.0.0.1:54341', dataDir, binDir, pgpass, socketDir: null,
 *   superuser: { username: 'pgcluster', password }, replication: { username: 'replicator', password: rpw },
 *   ...HA_TIMINGS, maximumLagOnFailover: 1048576, synchronous: false, fast: false }))
 * ```
 */
export function renderPatroniConfig(input: PatroniConfigInput): string {
  const parameters: Record<string, string | number | boolean> = {
    max_connections: 100,
    shared_buffers: '64MB',
    shared_preload_libraries: 'pg_stat_statements',
    password_encryption: 'scram-sha-256',
    wal_level: 'replica',
    wal_log_hints: 'on',
    max_wal_senders: 10,
    max_replication_slots: 10,
    wal_keep_size: '128MB',
    hot_standby: 'on',
    hot_standby_feedback: 'on',
    wal_retrieve_retry_interval: '1s',
    unix_socket_directories: input.socketDir ?? '',
    fsync: input.fast ? 'off' : 'on',
    // Always on, even when fast: Patroni's pg_rewind (an old leader rejoining) refuses a cluster without it.
    full_page_writes: 'on',
    logging_collector: 'off',
    log_line_prefix: '%m [%p] %q%u@%d ',
  };
  const address = (port: number) => `${input.host}:${port}`;
  const doc = {
    scope: input.scope,
    name: input.name,
    restapi: { listen: address(input.restPort), connect_address: address(input.restPort) },
    etcd3: { hosts: input.etcdHosts },
    log: { level: 'INFO' },
    bootstrap: {
      dcs: {
        ttl: input.ttl,
        loop_wait: input.loopWait,
        retry_timeout: input.retryTimeout,
        maximum_lag_on_failover: input.maximumLagOnFailover,
        synchronous_mode: input.synchronous,
        postgresql: { use_pg_rewind: true, use_slots: true, parameters },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }, 'data-checksums'],
    },
    postgresql: {
      listen: address(input.port),
      connect_address: address(input.port),
      data_dir: input.dataDir,
      bin_dir: input.binDir,
      pgpass: input.pgpass,
      // A spread checkpoint would make every clone wait minutes for its start.
      basebackup: [{ checkpoint: 'fast' }],
      authentication: { superuser: input.superuser, replication: input.replication, rewind: input.superuser },
      // Security: trust only over the node's own unix socket, in a folder only the server's OS user enters.
      pg_hba: [
        'local all all trust',
        'local replication all trust',
        'host all all 127.0.0.1/32 scram-sha-256',
        'host replication all 127.0.0.1/32 scram-sha-256',
      ],
      parameters: { unix_socket_directories: input.socketDir ?? '' },
      ...(input.callback ? { callbacks: { on_start: input.callback, on_role_change: input.callback } } : {}),
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
  return `# Written by @pgcluster/testing (JSON is YAML).\n${JSON.stringify(doc, null, 2)}\n`;
}
