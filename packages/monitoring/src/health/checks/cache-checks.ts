import { formatBytes, ref, round, type NodeCheck } from '../node-check';

/**
 * Cache and I/O checks: buffer cache hit ratio per database, requested checkpoints, temporary files.
 * @example CACHE_CHECKS.map((c) => c.id) // ['cache_hit_ratio', 'requested_checkpoints', 'temp_files']
 */
export const CACHE_CHECKS: readonly NodeCheck[] = [
  {
    id: 'cache_hit_ratio',
    collect: async ({ query, facts }) =>
      (
        await query<{ database: string; hit: number; read: number }>(
          'select datname as database, blks_hit::float8 as hit, blks_read::float8 as read from pg_stat_database where datname is not null and blks_hit + blks_read >= 100000',
        )
      ).map((r) => ({
        object: r.database,
        value: round((r.hit * 100) / (r.hit + r.read)),
        message: `database ${r.database} on ${facts.name}: ${round((r.hit * 100) / (r.hit + r.read), 1)}% of ${r.hit + r.read} block reads came from shared buffers since the statistics reset`,
        recommendation: ref('monitoring-performance', { sort: 'blocks' }, 'find the statements that read the most blocks; shared_buffers may be too small for the working set'),
      })),
  },
  {
    id: 'requested_checkpoints',
    collect: async ({ query, facts }) =>
      (
        await query<{ timed: number; requested: number }>(
          'select checkpoints_timed::float8 as timed, checkpoints_req::float8 as requested from pg_stat_bgwriter where checkpoints_timed + checkpoints_req >= 10',
        )
      ).map((r) => ({
        object: 'max_wal_size',
        value: round((r.requested * 100) / (r.timed + r.requested)),
        message: `${facts.name}: ${r.requested} of ${r.timed + r.requested} checkpoints were requested by WAL volume rather than timed (max_wal_size is likely too small)`,
        recommendation: ref('monitoring-performance', {}, 'see the WAL rate before raising max_wal_size'),
      })),
  },
  {
    id: 'temp_files',
    collect: async ({ query }) =>
      (
        await query<{ database: string; files: number; bytes: number; seconds: number }>(
          `select datname as database, temp_files::float8 as files, temp_bytes::float8 as bytes,
                  extract(epoch from now() - coalesce(stats_reset, pg_postmaster_start_time()))::float8 as seconds
             from pg_stat_database where datname is not null and temp_bytes >= 104857600`,
        )
      ).map((r) => ({
        object: r.database,
        value: round(r.bytes / Math.max(r.seconds, 1), 0),
        message: `database ${r.database} wrote ${r.files} temporary files (${formatBytes(r.bytes)}) in ${round(r.seconds / 3600, 1)} h: sorts and hashes spill past work_mem`,
        recommendation: ref('monitoring-performance', { sort: 'temp' }, 'find the statements that spill; raise work_mem for them or add an index'),
      })),
  },
];
