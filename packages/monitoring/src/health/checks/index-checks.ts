import { formatBytes, ref, userSchema, type NodeCheck } from '../node-check';

/** Index access methods of pgvector; their checks live in the pgvector category. */
export const VECTOR_INDEX_METHODS = ['hnsw', 'ivfflat'] as const;

// Invalid and not being built right now (a running CREATE INDEX CONCURRENTLY is invalid too).
const INVALID_SQL = `
select format('%I.%I', n.nspname, ic.relname) as object, format('%I.%I', n.nspname, tc.relname) as table_name,
       ic.relname ~ '_cc(new|old)[0-9]*$' as reindex_leftover, x.indisunique as is_unique
  from pg_index x
  join pg_class ic on ic.oid = x.indexrelid
  join pg_class tc on tc.oid = x.indrelid
  join pg_namespace n on n.oid = ic.relnamespace
  join pg_am am on am.oid = ic.relam
 where not x.indisvalid and am.amname <> all($1::text[]) and ${userSchema('n.nspname')}
   and not exists (select 1 from pg_stat_progress_create_index p where p.index_relid = x.indexrelid)`;

// Indexes of the same table with the same keys, operator classes, collations, expressions and predicate.
const DUPLICATE_SQL = `
select format('%I.%I', n.nspname, tc.relname) as table_name,
       array_agg(format('%I.%I', n.nspname, ic.relname) order by (x.indisprimary or x.indisunique or c.oid is not null) desc, ic.relname) as indexes,
       array_agg(x.indisprimary or x.indisunique or c.oid is not null order by (x.indisprimary or x.indisunique or c.oid is not null) desc, ic.relname) as protected,
       array_agg(ic.relpages::float8 * current_setting('block_size')::int order by (x.indisprimary or x.indisunique or c.oid is not null) desc, ic.relname) as bytes
  from pg_index x
  join pg_class ic on ic.oid = x.indexrelid
  join pg_class tc on tc.oid = x.indrelid
  join pg_namespace n on n.oid = ic.relnamespace
  left join pg_constraint c on c.conindid = x.indexrelid
 where x.indisvalid and ${userSchema('n.nspname')}
 group by n.nspname, tc.relname, x.indrelid, x.indkey::text, x.indclass::text, x.indcollation::text, ic.relam,
          coalesce(pg_get_expr(x.indexprs, x.indrelid), ''), coalesce(pg_get_expr(x.indpred, x.indrelid), '')
having count(*) > 1`;

// Never scanned on this node since the statistics reset; never PK, unique or constraint indexes.
const UNUSED_SQL = `
select format('%I.%I', s.schemaname, s.indexrelname) as object, format('%I.%I', s.schemaname, s.relname) as table_name,
       ic.relpages::float8 * current_setting('block_size')::int as bytes,
       extract(epoch from now() - coalesce((select stats_reset from pg_stat_database where datname = current_database()), pg_postmaster_start_time()))::float8 as window_seconds
  from pg_stat_user_indexes s
  join pg_index x on x.indexrelid = s.indexrelid
  join pg_class ic on ic.oid = s.indexrelid
 where s.idx_scan = 0 and x.indisvalid and not x.indisprimary and not x.indisunique
   and not exists (select 1 from pg_constraint c where c.conindid = s.indexrelid)`;

/**
 * Index checks: invalid indexes (failed CREATE/REINDEX CONCURRENTLY), duplicates, unused ones.
 * PK, unique and constraint indexes are never reported as duplicate or unused.
 * @example INDEX_CHECKS.map((c) => c.id) // ['invalid_indexes', 'duplicate_indexes', 'unused_indexes']
 */
export const INDEX_CHECKS: readonly NodeCheck[] = [
  {
    id: 'invalid_indexes',
    collect: async ({ query }) =>
      (await query<{ object: string; table_name: string; reindex_leftover: boolean; is_unique: boolean }>(INVALID_SQL, [VECTOR_INDEX_METHODS])).map((r) => ({
        object: r.object,
        value: 1,
        message: r.reindex_leftover
          ? `index ${r.object} on ${r.table_name} is an invalid leftover of a failed REINDEX CONCURRENTLY: it costs writes and is never used`
          : `${r.is_unique ? 'unique ' : ''}index ${r.object} on ${r.table_name} is invalid (a failed CREATE INDEX CONCURRENTLY): it costs writes and is never used${r.is_unique ? ', yet still enforces uniqueness on new rows' : ''}`,
        recommendation: r.reindex_leftover
          ? ref('maintenance-reindex', { index: r.object, action: 'drop-leftover' }, 'drop the leftover; the original index is still in place')
          : ref('maintenance-reindex', { index: r.object }, 'REINDEX INDEX CONCURRENTLY rebuilds it (fix the duplicates first if a unique build failed)'),
      })),
  },
  {
    id: 'duplicate_indexes',
    collect: async ({ query }) =>
      (await query<{ table_name: string; indexes: string[]; protected: boolean[]; bytes: number[] }>(DUPLICATE_SQL)).flatMap((r) =>
        // The first one is kept (a PK/unique/constraint one when there is one); protected ones are never reported.
        r.indexes.slice(1).flatMap((index, i) =>
          r.protected[i + 1]
            ? []
            : [
                {
                  object: index,
                  value: r.bytes[i + 1]!,
                  message: `index ${index} (${formatBytes(r.bytes[i + 1]!)}) on ${r.table_name} duplicates ${r.indexes[0]}: same columns, operator classes, expressions and predicate`,
                  recommendation: ref('monitoring-health', { checks: ['duplicate_indexes'] }, `${r.indexes[0]} already serves the same queries: DROP INDEX CONCURRENTLY ${index} (by hand, no skill drops indexes yet), then re-check`),
                },
              ],
        ),
      ),
  },
  {
    id: 'unused_indexes',
    collect: async ({ query }) =>
      (await query<{ object: string; table_name: string; bytes: number; window_seconds: number }>(UNUSED_SQL)).map((r) => ({
        object: r.object,
        value: r.bytes,
        message: `index ${r.object} (${formatBytes(r.bytes)}) on ${r.table_name} has not been scanned on the primary in ${Math.round(r.window_seconds / 86400)} day(s) since the statistics reset (replicas count their own scans)`,
        recommendation: ref('monitoring-health', { checks: ['unused_indexes'] }, `check the replicas use it neither, then DROP INDEX CONCURRENTLY ${r.object} (by hand, no skill drops indexes yet) to speed up writes, and re-check`),
      })),
  },
];
