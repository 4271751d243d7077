import { formatBytes, ref, round, userSchema, type NodeCheck } from '../node-check';

/** Tables and indexes smaller than this are not estimated (the estimate is noise there). */
export const BLOAT_MIN_BYTES = 8 * 1024 * 1024;

// Expected pages from pg_stats widths: a heap tuple is a 24-byte header + MAXALIGNed data + a
// 4-byte line pointer, on pages of (block_size − 24) × fillfactor; statistics-only, no table read.
const TABLE_BLOAT_SQL = `
with t as (
  select c.oid, n.nspname, c.relname, c.relpages::float8 as pages, c.reltuples::float8 as tuples,
         coalesce((regexp_match(array_to_string(c.reloptions, ','), 'fillfactor=([0-9]+)'))[1]::int, 100) as fillfactor
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'm') and ${userSchema('n.nspname')}
     and c.relpages::float8 * current_setting('block_size')::int >= $1
), w as (
  select t.oid, sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0))::float8 as width,
         count(*) filter (where s.attname is null)::int as missing
    from t
    join pg_attribute a on a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
    left join pg_stats s on s.schemaname = t.nspname and s.tablename = t.relname and s.attname = a.attname
   group by t.oid
)
select format('%I.%I', t.nspname, t.relname) as object, t.pages, t.tuples, t.fillfactor, w.width, w.missing,
       current_setting('block_size')::float8 as block_size
  from t join w on w.oid = t.oid`;

// Same for B-tree indexes: an 8-byte index tuple header + MAXALIGNed key + a 4-byte line pointer
// on pages of (block_size − 24 − 16 special) × fillfactor (default 90), plus the meta page.
const INDEX_BLOAT_SQL = `
with i as (
  select ic.oid, n.nspname, ic.relname, tc.relname as table_name, x.indrelid, x.indkey::int2[] as keys,
         ic.relpages::float8 as pages, ic.reltuples::float8 as tuples,
         coalesce((regexp_match(array_to_string(ic.reloptions, ','), 'fillfactor=([0-9]+)'))[1]::int, 90) as fillfactor
    from pg_index x
    join pg_class ic on ic.oid = x.indexrelid
    join pg_class tc on tc.oid = x.indrelid
    join pg_namespace n on n.oid = ic.relnamespace
    join pg_am am on am.oid = ic.relam and am.amname = 'btree'
   where ${userSchema('n.nspname')} and ic.relpages::float8 * current_setting('block_size')::int >= $1
), w as (
  select i.oid, sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0))::float8 as width,
         count(*) filter (where s.attname is null)::int as missing
    from i
    cross join lateral unnest(i.keys) as k(attnum)
    left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum and k.attnum > 0
    left join pg_stats s on s.schemaname = i.nspname and s.tablename = i.table_name and s.attname = a.attname
   group by i.oid
)
select format('%I.%I', i.nspname, i.relname) as object, format('%I.%I', i.nspname, i.table_name) as table_name,
       i.pages, i.tuples, i.fillfactor, w.width, w.missing, current_setting('block_size')::float8 as block_size
  from i join w on w.oid = i.oid`;

interface BloatRow {
  object: string;
  table_name?: string;
  pages: number;
  tuples: number;
  fillfactor: number;
  width: number;
  missing: number;
  block_size: number;
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/**
 * Wasted bytes of a table or B-tree index estimated from its statistics, and whether the
 * estimate can be trusted (never analyzed, columns or expressions without statistics, or wide
 * values that live in TOAST make it unreliable).
 *
 * @example estimateBloat({ pages: 2000, tuples: 100000, fillfactor: 100, width: 36, missing: 0, block_size: 8192 }, 'table')
 */
export function estimateBloat(r: Omit<BloatRow, 'object'>, kind: 'table' | 'index'): { wastedBytes: number; percent: number; reliable: boolean; why: string } {
  const tuple = kind === 'table' ? 24 + align8(r.width) + 4 : 8 + align8(r.width) + 4;
  const usable = ((r.block_size - (kind === 'table' ? 24 : 40)) * r.fillfactor) / 100;
  const expected = Math.ceil((Math.max(r.tuples, 0) * tuple) / usable) + (kind === 'index' ? 1 : 0);
  const wasted = Math.max(0, r.pages - expected) * r.block_size;
  const why =
    r.tuples < 0 ? 'never analyzed' : r.missing > 0 ? `${r.missing} column(s) or expression(s) without statistics` : r.width > 2000 ? 'wide values stored in TOAST' : '';
  return { wastedBytes: wasted, percent: r.pages > 0 ? round((wasted * 100) / (r.pages * r.block_size), 1) : 0, reliable: why === '', why };
}

function bloatMessage(r: BloatRow, kind: 'table' | 'index', e: ReturnType<typeof estimateBloat>): string {
  const size = formatBytes(r.pages * r.block_size);
  const reliability = e.reliable ? 'estimate reliable' : `estimate unreliable: ${e.why}`;
  return `${kind} ${r.object} (${size}) wastes about ${formatBytes(e.wastedBytes)} (${e.percent}%); ${reliability}`;
}

/**
 * Bloat checks: estimated wasted space of tables and B-tree indexes over {@link BLOAT_MIN_BYTES}.
 * An unreliable estimate is reported as warning at most.
 * @example BLOAT_CHECKS.map((c) => c.id) // ['table_bloat', 'index_bloat']
 */
export const BLOAT_CHECKS: readonly NodeCheck[] = [
  {
    id: 'table_bloat',
    collect: async ({ query }) =>
      (await query<BloatRow>(TABLE_BLOAT_SQL, [BLOAT_MIN_BYTES])).map((r) => {
        const e = estimateBloat(r, 'table');
        return {
          object: r.object,
          value: e.wastedBytes,
          message: bloatMessage(r, 'table', e),
          recommendation: ref('maintenance-vacuum', { table: r.object, full: true }, 'a plain VACUUM only makes the space reusable; VACUUM FULL (exclusive lock) or a rewrite returns it'),
          ...(e.reliable ? {} : { maxSeverity: 'warning' as const }),
        };
      }),
  },
  {
    id: 'index_bloat',
    collect: async ({ query }) =>
      (await query<BloatRow>(INDEX_BLOAT_SQL, [BLOAT_MIN_BYTES])).map((r) => {
        const e = estimateBloat(r, 'index');
        return {
          object: r.object,
          value: e.wastedBytes,
          message: bloatMessage(r, 'index', e),
          recommendation: ref('maintenance-reindex', { index: r.object }, 'REINDEX CONCURRENTLY rebuilds it compactly without blocking writes'),
          ...(e.reliable ? {} : { maxSeverity: 'warning' as const }),
        };
      }),
  },
];
