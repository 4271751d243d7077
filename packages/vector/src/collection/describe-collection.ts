import { QueryError } from '@pgcluster/core';
import type { VectorDb } from '../connection/vector-db';
import { indexStatus, type IndexStatus } from '../index/index-status';
import { CATALOG_COLUMNS, CATALOG_TABLE, rowToInfo } from './catalog';
import type { CollectionInfo } from './collection-info';
import { getCollection } from './get-collection';

/** A collection with its size and indexes. */
export interface CollectionDescription extends CollectionInfo {
  /** The planner's row estimate (exact counts would scan the table). */
  rows: number;
  sizeBytes: number;
  indexes: IndexStatus[];
}

/**
 * Describes a collection: shape, metric, tuned default, row estimate, size and indexes.
 *
 * @example
 * ```ts
 * const d = await describeCollection(db, 'docs') // { dimension: 384, rows: 100000, indexes: [...] }
 * ```
 */
export async function describeCollection(db: VectorDb, name: string): Promise<CollectionDescription> {
  const info = await getCollection(db, name, { fresh: true });
  const [size, indexes] = await Promise.all([
    db.primary
      .query<{ rows: string; size: string }>(
        `SELECT greatest(c.reltuples, 0)::bigint::text AS rows, pg_total_relation_size(c.oid)::text AS size
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
        [db.schema, name],
      )
      .catch((e: unknown) => {
        throw QueryError.from(e, `sizing collection ${name}`);
      }),
    indexStatus(db, { collection: name }),
  ]);
  const r = size.rows[0];
  return { ...info, rows: Number(r?.rows ?? 0), sizeBytes: Number(r?.size ?? 0), indexes: indexes.indexes };
}

/** One collection in {@link listCollections}. */
export interface CollectionSummary extends CollectionInfo {
  rows: number;
  sizeBytes: number;
}

/**
 * Lists the collections of the handle's schema with row estimates and sizes.
 *
 * @example
 * ```ts
 * for (const c of await listCollections(db)) console.log(c.name, c.rows)
 * ```
 */
export async function listCollections(db: VectorDb): Promise<CollectionSummary[]> {
  try {
    const exists = await db.primary.query<{ t: string | null }>(`select to_regclass('${CATALOG_TABLE}')::text as t`);
    if (!exists.rows[0]?.t) return [];
    const r = await db.primary.query(
      `SELECT ${CATALOG_COLUMNS.split(', ').map((c) => `v.${c}`).join(', ')},
              greatest(c.reltuples, 0)::bigint::text AS rows, coalesce(pg_total_relation_size(c.oid), 0)::text AS size
         FROM ${CATALOG_TABLE} v
         LEFT JOIN pg_namespace n ON n.nspname = v.schema_name
         LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = v.name
        WHERE v.schema_name = $1 ORDER BY v.name`,
      [db.schema],
    );
    return r.rows.map((row) => ({ ...rowToInfo(row), rows: Number(row.rows ?? 0), sizeBytes: Number(row.size ?? 0) }));
  } catch (error) {
    throw QueryError.from(error, 'listing collections');
  }
}
