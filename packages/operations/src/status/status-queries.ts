/**
 * The read-only statements `checkClusterStatus` runs, in one place so that the skill's plan
 * shows exactly what a run executes. Every statement carries {@link STATUS_QUERY_MARKER} so
 * that the performance sample can leave the check's own statements out of pg_stat_statements.
 */

/** A comment inside every statement of the status check; pg_stat_statements keeps it in `query`. */
export const STATUS_QUERY_MARKER = 'pgcluster:cluster-status';

const M = `/* ${STATUS_QUERY_MARKER} */`;

/** Round trip of a trivial query: `latency_ms`. */
export const PING_SQL = `select ${M} 1`;

/** Role, version, max_connections and server connections of one node. */
export const NODE_SQL = `select ${M}
  pg_is_in_recovery() as in_recovery,
  (select setting = 'on' and source = 'configuration file' from pg_settings where name = 'default_transaction_read_only') as read_only,
  current_setting('server_version') as version,
  current_setting('server_version_num')::int as version_num,
  current_setting('max_connections')::int as max_connections,
  current_database() as database,
  count(*) filter (where backend_type = 'client backend' and pid <> pg_backend_pid())::int as active,
  count(*) filter (where backend_type = 'client backend' and pid <> pg_backend_pid() and state = 'active')::int as executing,
  count(*) filter (where backend_type = 'client backend' and state like 'idle in transaction%')::int as idle_in_transaction
from pg_stat_activity`;

/**
 * On a replica: its own receive/replay positions. Seconds are 0 when everything received has
 * been replayed (`now() - pg_last_xact_replay_timestamp()` alone grows on an idle primary).
 */
export const REPLICA_SQL = `select ${M}
  pg_last_wal_receive_lsn()::text as receive_lsn,
  pg_last_wal_replay_lsn()::text as replay_lsn,
  (case when pg_last_wal_receive_lsn() is null or pg_last_wal_replay_lsn() is null then null
    else greatest(0, pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())) end)::float8 as gap_bytes,
  (case
    when pg_last_wal_receive_lsn() is null or pg_last_wal_replay_lsn() is null then null
    when pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() then 0
    else greatest(0, extract(epoch from now() - pg_last_xact_replay_timestamp()))
  end)::float8 as delay_seconds,
  (select status from pg_stat_wal_receiver limit 1) as receiver_status,
  (select slot_name from pg_stat_wal_receiver limit 1) as slot_name`;

/** On a primary: one row per WAL sender, with lag against the current WAL position. */
export const SENDERS_SQL = `select ${M}
  s.pid,
  s.application_name,
  s.state,
  s.sync_state,
  (select r.slot_name from pg_replication_slots r where r.active_pid = s.pid limit 1) as slot_name,
  (case when s.replay_lsn is null then null else greatest(0, pg_wal_lsn_diff(pg_current_wal_lsn(), s.replay_lsn)) end)::float8 as lag_bytes,
  extract(epoch from s.write_lag)::float8 as write_lag_s,
  extract(epoch from s.flush_lag)::float8 as flush_lag_s,
  extract(epoch from s.replay_lag)::float8 as replay_lag_s
from pg_stat_replication s
order by s.application_name, s.pid`;

/** pgvector's version in the inspected database, and where pg_stat_statements lives. */
export const EXTENSIONS_SQL = `select ${M}
  (select e.extversion from pg_extension e where e.extname = 'vector') as vector_version,
  (select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace
    where e.extname = 'pg_stat_statements') as pgss_schema`;

/** Every HNSW index, valid or not, and whether a CREATE INDEX is building it now. */
export const HNSW_INDEXES_SQL = `select ${M}
  n.nspname as schema,
  c.relname as name,
  t.relname as "table",
  i.indisvalid as valid,
  exists (select 1 from pg_stat_progress_create_index p where p.index_relid = i.indexrelid) as building
from pg_index i
join pg_class c on c.oid = i.indexrelid
join pg_am a on a.oid = c.relam
join pg_class t on t.oid = i.indrelid
join pg_namespace n on n.oid = c.relnamespace
where a.amname = 'hnsw'
order by 1, 2`;

/** Vector columns of ordinary tables that no HNSW or IVFFlat index covers (at most 50). */
export const UNINDEXED_VECTORS_SQL = `select ${M}
  n.nspname as schema,
  c.relname as "table",
  a.attname as "column",
  greatest(c.reltuples, 0)::float8 as rows
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_type ty on ty.oid = a.atttypid
where ty.typname in ('vector', 'halfvec', 'sparsevec')
  and c.relkind in ('r', 'p')
  and a.attnum > 0 and not a.attisdropped
  and n.nspname not in ('pg_catalog', 'information_schema')
  and not exists (
    select 1 from pg_index i
    join pg_class ic on ic.oid = i.indexrelid
    join pg_am am on am.oid = ic.relam
    where i.indrelid = c.oid and am.amname in ('hnsw', 'ivfflat')
      and (a.attnum = any (i.indkey::int2[])
        or exists (select 1 from pg_depend d
          where d.classid = 'pg_class'::regclass and d.objid = i.indexrelid
            and d.refobjid = c.oid and d.refobjsubid = a.attnum)))
order by 1, 2, 3
limit 50`;

/**
 * One performance sample on the primary: transactions from pg_stat_database, and statements
 * and their execution time from pg_stat_statements (the check's own statements left out).
 * @param pgssSchema the schema of the pg_stat_statements view, or null when it is not installed.
 * @param quote quotes an identifier (the driver's `escapeIdentifier`).
 */
export function performanceSampleSql(pgssSchema: string | null, quote: (id: string) => string = (id) => `"${id.replace(/"/g, '""')}"`): string {
  const xacts = `(select coalesce(sum(xact_commit + xact_rollback), 0)::float8 from pg_stat_database)`;
  if (pgssSchema === null) return `select ${M} ${xacts} as xacts, null::float8 as calls, null::float8 as exec_ms`;
  const view = `${quote(pgssSchema)}.pg_stat_statements`;
  return `select ${M} ${xacts} as xacts, s.calls, s.exec_ms
from (select coalesce(sum(calls), 0)::float8 as calls, coalesce(sum(total_exec_time), 0)::float8 as exec_ms
  from ${view} where query not like '%${STATUS_QUERY_MARKER}%') s`;
}
