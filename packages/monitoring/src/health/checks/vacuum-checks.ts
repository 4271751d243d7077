import { ref, round, userSchema, type NodeCheck, type NodeCheckContext } from '../node-check';

// Each table's autovacuum and autoanalyze trigger points, with per-table reloptions applied.
const TABLES_SQL = `
select format('%I.%I', s.schemaname, s.relname) as object, s.n_live_tup::float8 as live, s.n_dead_tup::float8 as dead,
       s.n_mod_since_analyze::float8 as modified,
       coalesce(o.vac_threshold, current_setting('autovacuum_vacuum_threshold')::float8)
         + coalesce(o.vac_scale, current_setting('autovacuum_vacuum_scale_factor')::float8) * greatest(c.reltuples, 0) as vacuum_at,
       coalesce(o.an_threshold, current_setting('autovacuum_analyze_threshold')::float8)
         + coalesce(o.an_scale, current_setting('autovacuum_analyze_scale_factor')::float8) * greatest(c.reltuples, 0) as analyze_at,
       coalesce(o.enabled, current_setting('autovacuum')::bool) as autovacuum,
       extract(epoch from now() - greatest(s.last_vacuum, s.last_autovacuum))::float8 as vacuumed_ago,
       extract(epoch from now() - greatest(s.last_analyze, s.last_autoanalyze))::float8 as analyzed_ago
  from pg_stat_user_tables s
  join pg_class c on c.oid = s.relid
  left join lateral (
    select max(v) filter (where k = 'autovacuum_vacuum_threshold')::float8 as vac_threshold,
           max(v) filter (where k = 'autovacuum_vacuum_scale_factor')::float8 as vac_scale,
           max(v) filter (where k = 'autovacuum_analyze_threshold')::float8 as an_threshold,
           max(v) filter (where k = 'autovacuum_analyze_scale_factor')::float8 as an_scale,
           max(v) filter (where k = 'autovacuum_enabled')::bool as enabled
      from (select split_part(x, '=', 1) as k, split_part(x, '=', 2) as v from unnest(c.reloptions) x) kv
  ) o on true
 where ${userSchema('s.schemaname')} and (s.n_dead_tup >= 1000 or s.n_mod_since_analyze >= 1000)`;

interface TableRow {
  object: string;
  live: number;
  dead: number;
  modified: number;
  vacuum_at: number;
  analyze_at: number;
  autovacuum: boolean;
  vacuumed_ago: number | null;
  analyzed_ago: number | null;
}

const tables = (ctx: NodeCheckContext) => ctx.once('vacuum-tables', () => ctx.query<TableRow>(TABLES_SQL));
const ago = (seconds: number | null, what: string) => (seconds === null ? `never ${what}` : `${what} ${round(seconds / 60, 0)} min ago`);
const off = (r: TableRow) => (r.autovacuum ? '' : '; autovacuum is off for it');

/**
 * Vacuum and statistics checks: dead rows, autovacuum behind its own threshold, stale statistics.
 * @example VACUUM_CHECKS.map((c) => c.id) // ['dead_tuples', 'autovacuum_overdue', 'stale_statistics']
 */
export const VACUUM_CHECKS: readonly NodeCheck[] = [
  {
    id: 'dead_tuples',
    collect: async (ctx) =>
      (await tables(ctx))
        .filter((r) => r.dead >= 1000)
        .map((r) => ({
          object: r.object,
          value: round((r.dead * 100) / Math.max(1, r.live + r.dead)),
          message: `${r.object} has ${r.dead} dead rows of ${r.live + r.dead} (${ago(r.vacuumed_ago, 'vacuumed')}${off(r)})`,
          recommendation: ref('maintenance-vacuum', { table: r.object }, 'VACUUM makes the dead rows' + "' space reusable"),
        })),
  },
  {
    id: 'autovacuum_overdue',
    collect: async (ctx) =>
      (await tables(ctx))
        .filter((r) => r.dead >= 1000)
        .map((r) => ({
          object: r.object,
          value: round((r.dead * 100) / Math.max(1, r.vacuum_at)),
          message: `${r.object} has ${r.dead} dead rows, past its autovacuum threshold of ${round(r.vacuum_at, 0)} (${ago(r.vacuumed_ago, 'vacuumed')}${off(r)})`,
          recommendation: ref('maintenance-vacuum', { table: r.object }, r.autovacuum ? 'autovacuum is behind on this table: vacuum it now, then tune its autovacuum settings' : 'autovacuum is off for this table: vacuum it and turn autovacuum back on'),
        })),
  },
  {
    id: 'stale_statistics',
    collect: async (ctx) =>
      (await tables(ctx))
        .filter((r) => r.modified >= 1000)
        .map((r) => ({
          object: r.object,
          value: round((r.modified * 100) / Math.max(1, r.analyze_at)),
          message: `${r.object} has ${r.modified} rows changed since its statistics were gathered, past its autoanalyze threshold of ${round(r.analyze_at, 0)} (${ago(r.analyzed_ago, 'analyzed')}${off(r)})`,
          recommendation: ref('maintenance-analyze', { table: r.object }, 'fresh statistics give the planner the right row counts'),
        })),
  },
];
