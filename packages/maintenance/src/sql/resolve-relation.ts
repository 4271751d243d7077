import { InputError } from '@pgcluster/core';
import type pg from 'pg';
import { parseQualifiedName, qualified } from './qualified-name';

/** A relation found in the catalog. */
export interface ResolvedRelation {
  oid: number;
  schema: string;
  name: string;
  /** `"schema"."name"`, quoted, ready for a statement. */
  quoted: string;
  /** `schema.name` as `format('%I.%I')` writes it (monitoring's `object`). */
  display: string;
  /** pg_class.relkind: r table, m materialized view, p partitioned table, i index, I partitioned index. */
  kind: string;
}

// Names are bound; an unqualified name is looked up on the search_path, like the server does.
const RELATION_SQL = `
select c.oid::int as oid, n.nspname as schema, c.relname as name, c.relkind::text as kind, format('%I.%I', n.nspname, c.relname) as display
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where c.relname = $2 and (n.nspname = $1 or ($1::text is null and pg_table_is_visible(c.oid)))
   and c.relkind = any($3::text[])`;

/**
 * Finds a table or index named by the user in the connected database.
 * @throws InputError naming `field` when the name is malformed or no such relation exists.
 * @example
 * ```ts
 * const t = await resolveRelation(client, 'public.items', 'table', ['r', 'm', 'p'])  // t.quoted === '"public"."items"'
 * ```
 */
export async function resolveRelation(client: pg.Client, value: string, field: string, kinds: readonly string[], database = 'the database'): Promise<ResolvedRelation> {
  const { schema, name } = parseQualifiedName(value, field);
  const rows = (await client.query<Omit<ResolvedRelation, 'quoted'>>(RELATION_SQL, [schema ?? null, name, kinds])).rows;
  const found = rows[0];
  if (!found) {
    const what = kinds.includes('i') ? 'an index' : 'a table';
    throw new InputError(field, `must name ${what} of ${database}; there is no ${what.slice(what.indexOf(' ') + 1)} ${value}${schema ? '' : ' on the search_path (qualify it: schema.name)'}`);
  }
  return { ...found, quoted: qualified(found.schema, found.name) };
}
