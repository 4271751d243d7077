import { formatBytes, ref, round, userSchema, type NodeCheck, type NodeCheckContext } from '../node-check';

// Every pgvector index with its table, size, validity, lists (IVFFlat) and the table's row estimate.
const VECTOR_INDEXES_SQL = `
select n.nspname as schema, ic.relname as index, tc.relname as table_name, am.amname as method, x.indisvalid as valid,
       ic.relpages::float8 * current_setting('block_size')::int as bytes,
       greatest(tc.reltuples, coalesce(s.n_live_tup, 0), 0)::float8 as rows,
       coalesce((regexp_match(array_to_string(ic.reloptions, ','), 'lists=([0-9]+)'))[1]::int, 100) as lists,
       exists (select 1 from pg_stat_progress_create_index p where p.index_relid = x.indexrelid) as building
  from pg_index x
  join pg_class ic on ic.oid = x.indexrelid
  join pg_class tc on tc.oid = x.indrelid
  join pg_namespace n on n.oid = ic.relnamespace
  join pg_am am on am.oid = ic.relam and am.amname in ('hnsw', 'ivfflat')
  left join pg_stat_user_tables s on s.relid = tc.oid
 where ${userSchema('n.nspname')}`;

// vector/halfvec columns no HNSW or IVFFlat index covers (as a key or inside an expression).
const UNINDEXED_SQL = `
select n.nspname as schema, c.relname as table_name, a.attname as column_name, format_type(a.atttypid, a.atttypmod) as type, t.typname as type_name,
       greatest(c.reltuples, coalesce(s.n_live_tup, 0), 0)::float8 as rows
  from pg_attribute a
  join pg_class c on c.oid = a.attrelid and c.relkind in ('r', 'p', 'm')
  join pg_namespace n on n.oid = c.relnamespace
  join pg_type t on t.oid = a.atttypid and t.typname in ('vector', 'halfvec')
  left join pg_stat_user_tables s on s.relid = c.oid
 where a.attnum > 0 and not a.attisdropped and ${userSchema('n.nspname')}
   and not exists (
     select 1 from pg_index x join pg_class ic on ic.oid = x.indexrelid join pg_am am on am.oid = ic.relam
      where x.indrelid = c.oid and am.amname in ('hnsw', 'ivfflat')
        and (a.attnum = any (x.indkey::int2[]) or pg_get_expr(x.indexprs, x.indrelid) ~ ('\\m' || a.attname || '\\M')))`;

// The catalogued collections vector-index acts on by name (its collections live in public).
const COLLECTIONS_SQL = `
select name from pgcluster.vector_collections where schema_name = 'public'`;

interface VectorIndexRow {
  schema: string;
  index: string;
  table_name: string;
  method: 'hnsw' | 'ivfflat';
  valid: boolean;
  bytes: number;
  rows: number;
  lists: number;
  building: boolean;
}

const indexes = (ctx: NodeCheckContext) => ctx.once('vector-indexes', () => ctx.query<VectorIndexRow>(VECTOR_INDEXES_SQL));
/** Names of the catalogued collections (public), or none when the catalogue does not exist. */
const collections = (ctx: NodeCheckContext) =>
  ctx.once('vector-collections', async () => {
    const [exists] = await ctx.query<{ t: string | null }>("select to_regclass('pgcluster.vector_collections')::text as t");
    return new Set(exists?.t ? (await ctx.query<{ name: string }>(COLLECTIONS_SQL)).map((r) => r.name) : []);
  });
/** Whether vector-index takes `schema.table` as a collection (its embedding column). */
const isCollection = (names: Set<string>, schema: string, table: string) => schema === 'public' && names.has(table);
const qualified = (schema: string, name: string) => `${schema}.${name}`;
const withDatabase = (ctx: NodeCheckContext, input: Record<string, unknown>) => ({ ...input, database: ctx.facts.database });

/**
 * The number of IVFFlat lists pgvector recommends for `rows`: rows / 1000 up to 1M rows, sqrt(rows) above.
 * @example recommendedLists(500_000) // 500
 */
export function recommendedLists(rows: number): number {
  return Math.max(1, Math.round(rows <= 1_000_000 ? rows / 1000 : Math.sqrt(rows)));
}

const noVector = ({ facts }: NodeCheckContext) => (facts.vectorVersion === null ? `pgvector is not installed in database ${facts.database}` : null);

/**
 * pgvector checks: invalid vector indexes, unindexed vector columns, indexes larger than memory,
 * IVFFlat lists far from the recommendation, HNSW indexes whose rebuild would not fit maintenance_work_mem.
 * Recommendations reference vector-index with inputs valid against its schema; where it cannot act
 * (a table that is not a collection), the fix by hand and a re-check.
 * @example VECTOR_CHECKS.map((c) => c.id)
 */
export const VECTOR_CHECKS: readonly NodeCheck[] = [
  {
    id: 'vector_index_invalid',
    skip: noVector,
    collect: async (ctx) =>
      (await indexes(ctx))
        .filter((r) => !r.valid && !r.building)
        .map((r) => ({
          object: qualified(r.schema, r.index),
          value: 1,
          message: `${r.method} index ${qualified(r.schema, r.index)} on ${r.table_name} is invalid (a failed or cancelled build): searches fall back to exact scans`,
          // The schema-qualified index: a rebuild any vector index takes, catalogued collection or not.
          recommendation: ref('vector-index', withDatabase(ctx, { action: 'rebuild', index: qualified(r.schema, r.index) }), 'rebuild the index concurrently'),
        })),
  },
  {
    id: 'vector_column_unindexed',
    skip: noVector,
    collect: async (ctx) => {
      const names = await collections(ctx);
      return (await ctx.query<{ schema: string; table_name: string; column_name: string; type: string; type_name: string; rows: number }>(UNINDEXED_SQL)).map((r) => ({
        object: `${qualified(r.schema, r.table_name)}.${r.column_name}`,
        value: r.rows,
        message: `${r.type} column ${r.column_name} of ${qualified(r.schema, r.table_name)} (~${r.rows} rows) has no HNSW or IVFFlat index: every similarity search scans the table`,
        // A collection's index knows its metric; on any other table only the queries' operator says which opclass serves them.
        recommendation:
          isCollection(names, r.schema, r.table_name) && r.column_name === 'embedding'
            ? ref('vector-index', withDatabase(ctx, { action: 'create', collection: r.table_name, method: 'hnsw' }), 'an HNSW index makes nearest-neighbour searches sublinear')
            : ref(
                'monitoring-health',
                withDatabase(ctx, { checks: ['vector_column_unindexed'] }),
                `${qualified(r.schema, r.table_name)} is not a vector-index collection: by hand, CREATE INDEX CONCURRENTLY ON ${qualified(r.schema, r.table_name)} USING hnsw (${r.column_name} ${r.type_name}_cosine_ops) — or _l2_ops / _ip_ops, the operator class of the distance the queries use (<=>, <->, <#>) — then re-check`,
              ),
      }));
    },
  },
  {
    id: 'vector_index_larger_than_memory',
    skip: noVector,
    collect: async (ctx) => {
      const names = await collections(ctx);
      return (await indexes(ctx))
        .filter((r) => r.valid)
        .map((r) => ({
          object: qualified(r.schema, r.index),
          value: round((r.bytes * 100) / ctx.facts.sharedBuffersBytes, 1),
          message: `${r.method} index ${qualified(r.schema, r.index)} is ${formatBytes(r.bytes)}: ${round((r.bytes * 100) / ctx.facts.sharedBuffersBytes, 0)}% of shared_buffers and ${round((r.bytes * 100) / ctx.facts.effectiveCacheSizeBytes, 0)}% of effective_cache_size`,
          recommendation: isCollection(names, r.schema, r.table_name)
            ? ref('vector-index', withDatabase(ctx, { action: 'status', collection: r.table_name }), 'searches read from disk: give the server more memory, or use halfvec or fewer dimensions')
            : ref('monitoring-health', withDatabase(ctx, { checks: ['vector_index_larger_than_memory'] }), 'searches read from disk: give the server more memory (shared_buffers), or use halfvec or fewer dimensions, by hand, then re-check'),
        }));
    },
  },
  {
    id: 'ivfflat_lists_mismatch',
    skip: noVector,
    collect: async (ctx) =>
      (await indexes(ctx))
        .filter((r) => r.method === 'ivfflat' && r.valid && r.rows >= 10_000)
        .map((r) => {
          const best = recommendedLists(r.rows);
          const factor = Math.max(r.lists / best, best / r.lists);
          return {
            object: qualified(r.schema, r.index),
            value: round(factor, 2),
            message: `IVFFlat index ${qualified(r.schema, r.index)} has ${r.lists} lists for ~${r.rows} rows; pgvector recommends about ${best}`,
            // The schema-qualified index: any IVFFlat index, catalogued collection or not, rebuilt in place with the new lists.
            recommendation: ref('vector-index', withDatabase(ctx, { action: 'rebuild', index: qualified(r.schema, r.index), lists: Math.min(best, 32768) }), 'rebuild the index concurrently with the recommended lists'),
          };
        }),
  },
  {
    id: 'vector_index_build_memory',
    skip: noVector,
    collect: async (ctx) =>
      (await indexes(ctx))
        .filter((r) => r.method === 'hnsw')
        .map((r) => {
          const needMb = Math.min(9_999_999, Math.ceil((r.bytes * 1.25) / 1024 / 1024));
          return {
            object: qualified(r.schema, r.index),
            value: round((r.bytes * 100) / ctx.facts.maintenanceWorkMemBytes, 1),
            message: `HNSW index ${qualified(r.schema, r.index)} is ${formatBytes(r.bytes)} but maintenance_work_mem is ${formatBytes(ctx.facts.maintenanceWorkMemBytes)}: a rebuild would spill the graph and take much longer`,
            recommendation: ref('vector-index', withDatabase(ctx, { action: 'rebuild', index: qualified(r.schema, r.index), maintenanceWorkMem: `${needMb}MB` }), 'rebuild with enough maintenance_work_mem for the graph'),
          };
        }),
  },
];
