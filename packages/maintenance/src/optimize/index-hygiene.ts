import { InputError, RefusedError } from '@pgcluster/core';
import type pg from 'pg';
import { resolveRelation } from '../sql/resolve-relation';
import type { DropRecommendation } from './optimize-schema';

// Indexes that may ever be dropped: not a primary key, not unique, not backing a constraint
// (primary key, unique, exclusion, a foreign key's referenced index), not the replica identity.
const DROPPABLE = `
  not i.indisprimary and not i.indisunique and not i.indisreplident and i.indisvalid
  and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`;

// Duplicates (same columns, operator classes, options, expressions and predicate) and redundant
// B-trees (their key columns lead another valid B-tree of the table with the same predicate).
const DUPLICATES_SQL = `
select format('%I.%I', n.nspname, ci.relname) as index, format('DROP INDEX CONCURRENTLY %I.%I', n.nspname, ci.relname) as statement, format('%I.%I', n.nspname, ct.relname) as "table",
       format('%I.%I', n.nspname, co.relname) as of, pg_relation_size(i.indexrelid)::float8 as "sizeBytes",
       case when i.indkey::text = o.indkey::text then 'duplicate' else 'redundant' end as reason
  from pg_index i
  join pg_class ci on ci.oid = i.indexrelid join pg_class ct on ct.oid = i.indrelid join pg_namespace n on n.oid = ct.relnamespace
  join pg_index o on o.indrelid = i.indrelid and o.indexrelid <> i.indexrelid and o.indisvalid
  join pg_class co on co.oid = o.indexrelid
  join pg_am a on a.oid = ci.relam join pg_am ao on ao.oid = co.relam
 where ${DROPPABLE} and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'
   and a.amname = ao.amname
   and coalesce(pg_get_expr(i.indpred, i.indrelid), '') = coalesce(pg_get_expr(o.indpred, o.indrelid), '')
   and coalesce(pg_get_expr(i.indexprs, i.indrelid), '') = coalesce(pg_get_expr(o.indexprs, o.indrelid), '')
   and (
     -- the same definition: keep the constraint's, the unique one, or the older (lower oid)
     (i.indkey::text = o.indkey::text and i.indclass::text = o.indclass::text and i.indoption::text = o.indoption::text
      and (o.indisprimary or o.indisunique or exists (select 1 from pg_constraint k where k.conindid = o.indexrelid) or o.indexrelid < i.indexrelid))
     or
     -- a strict prefix of another B-tree (same operator classes and orders on the shared columns)
     (a.amname = 'btree' and i.indnkeyatts < o.indnkeyatts and i.indnatts = i.indnkeyatts
      and (o.indkey::int2[])[0:i.indnkeyatts - 1] = (i.indkey::int2[])[0:i.indnkeyatts - 1]
      and (o.indclass::oid[])[0:i.indnkeyatts - 1] = (i.indclass::oid[])[0:i.indnkeyatts - 1]
      and (o.indoption::int2[])[0:i.indnkeyatts - 1] = (i.indoption::int2[])[0:i.indnkeyatts - 1])
   )
 order by 1, 3`;

// Never scanned, when the statistics have been collecting for at least $1 days.
const UNUSED_SQL = `
select format('%I.%I', s.schemaname, s.indexrelname) as index, format('DROP INDEX CONCURRENTLY %I.%I', s.schemaname, s.indexrelname) as statement, format('%I.%I', s.schemaname, s.relname) as "table",
       pg_relation_size(i.indexrelid)::float8 as "sizeBytes"
  from pg_stat_user_indexes s join pg_index i on i.indexrelid = s.indexrelid
 where s.idx_scan = 0 and ${DROPPABLE}
   and (select stats_reset from pg_stat_database where datname = current_database()) < now() - make_interval(days => $1)
 order by 3 desc`;

/**
 * Indexes worth dropping in the connected database: exact duplicates and B-tree prefixes of
 * another index (keeping the constraint's, the unique or the older one), and indexes never
 * scanned since the statistics were reset at least `unusedDays` ago (when they were never reset,
 * their age is unknown and nothing is called unused). Never a primary key, unique,
 * constraint-backing or replica-identity index.
 * @example
 * ```ts
 * await dropRecommendations(client, 30) // [{ action: 'drop_index', index: 'public.orders_customer_id_idx1', reason: 'duplicate', of: 'public.orders_customer_id_idx', … }]
 * ```
 */
export async function dropRecommendations(c: pg.Client, unusedDays: number): Promise<DropRecommendation[]> {
  const out = new Map<string, DropRecommendation>();
  for (const r of (await c.query<{ index: string; statement: string; table: string; of: string; sizeBytes: number; reason: 'duplicate' | 'redundant' }>(DUPLICATES_SQL)).rows) {
    if (!out.has(r.index)) out.set(r.index, { action: 'drop_index', index: r.index, table: r.table, reason: r.reason, of: r.of, sizeBytes: r.sizeBytes, statement: r.statement });
  }
  for (const r of (await c.query<{ index: string; statement: string; table: string; sizeBytes: number }>(UNUSED_SQL, [unusedDays])).rows) {
    if (!out.has(r.index)) out.set(r.index, { action: 'drop_index', index: r.index, table: r.table, reason: 'unused', sizeBytes: r.sizeBytes, statement: r.statement });
  }
  return [...out.values()];
}

/**
 * Drops the named indexes with DROP INDEX CONCURRENTLY and a lock timeout, refusing (before
 * dropping any) one that is a primary key, unique, constraint-backing or the replica identity.
 * @throws InputError (`dropIndex.N`) for an unknown index; RefusedError (exit 3) for a protected one.
 * @example
 * ```ts
 * await dropIndexes(client, ['public.orders_customer_id_idx']) // ['public.orders_customer_id_idx']
 * ```
 */
export async function dropIndexes(c: pg.Client, names: readonly string[], database: string): Promise<string[]> {
  const resolved = [];
  for (const [i, name] of names.entries()) {
    const r = await resolveRelation(c, name, `dropIndex.${i}`, ['i'], `database ${database}`);
    const ok = (await c.query(`select 1 from pg_index i where i.indexrelid = $1::oid and ${DROPPABLE.replace('and i.indisvalid', '')}`, [r.oid])).rowCount === 1;
    if (!ok) throw new RefusedError(`${r.display} is a primary key, unique, constraint or replica-identity index: maintenance-optimize never drops it; nothing was dropped`);
    resolved.push(r);
  }
  if (new Set(resolved.map((r) => r.oid)).size !== resolved.length) throw new InputError('dropIndex', 'names an index twice');
  await c.query("set lock_timeout = '5s'");
  for (const r of resolved) await c.query(`DROP INDEX CONCURRENTLY IF EXISTS ${r.quoted}`);
  return resolved.map((r) => r.display);
}
