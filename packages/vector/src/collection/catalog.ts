import type pg from 'pg';
import type { CollectionInfo } from './collection-info';
import type { VectorPool } from '../connection/vector-db';
import type { Metric, VectorType } from './metric';
import type { SqlStatement } from './sql-statement';

/** The schema and table holding the collections' catalogue. */
export const CATALOG_TABLE = 'pgcluster.vector_collections';

/**
 * The statements that create the catalogue when it is missing (idempotent).
 * @example catalogStatements()[0].text // 'CREATE SCHEMA IF NOT EXISTS pgcluster'
 */
export function catalogStatements(): SqlStatement[] {
  return [
    { text: 'CREATE SCHEMA IF NOT EXISTS pgcluster' },
    {
      text: `CREATE TABLE IF NOT EXISTS ${CATALOG_TABLE} (
  schema_name text NOT NULL,
  name text NOT NULL,
  dimension integer NOT NULL,
  vector_type text NOT NULL,
  metric text NOT NULL,
  default_ef_search integer,
  tuned_recall double precision,
  tuned_k integer,
  tuned_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (schema_name, name)
)`,
    },
  ];
}

/**
 * Creates the catalogue if it is missing. Two sessions racing on `IF NOT EXISTS` can collide
 * on the type's name; the loser retries once.
 */
export async function ensureCatalog(client: pg.ClientBase): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.query('SAVEPOINT pgc_catalog');
      for (const s of catalogStatements()) await client.query(s.text);
      await client.query('RELEASE SAVEPOINT pgc_catalog');
      return;
    } catch (error) {
      await client.query('ROLLBACK TO SAVEPOINT pgc_catalog');
      if (attempt >= 2 || !['23505', '42P07'].includes((error as { code?: string }).code ?? '')) throw error;
    }
  }
}

interface CatalogRow {
  schema_name: string;
  name: string;
  dimension: number;
  vector_type: VectorType;
  metric: Metric;
  default_ef_search: number | null;
  tuned_recall: number | null;
  tuned_k: number | null;
  tuned_at: Date | null;
  created_at: Date;
}

/** The catalogue's columns, in {@link rowToInfo}'s shape. */
export const CATALOG_COLUMNS =
  'schema_name, name, dimension, vector_type, metric, default_ef_search, tuned_recall, tuned_k, tuned_at, created_at';

/** Maps a catalogue row to a {@link CollectionInfo}. */
export function rowToInfo(r: CatalogRow): CollectionInfo {
  return {
    schema: r.schema_name,
    name: r.name,
    dimension: r.dimension,
    type: r.vector_type,
    metric: r.metric,
    defaultEfSearch: r.default_ef_search,
    tunedRecall: r.tuned_recall,
    tunedK: r.tuned_k,
    tunedAt: r.tuned_at ? r.tuned_at.toISOString() : null,
    createdAt: r.created_at.toISOString(),
  };
}

/**
 * Reads one collection's catalogue row, or undefined when it is not there (or the catalogue
 * does not exist yet).
 */
export async function readCatalogRow(client: pg.ClientBase | VectorPool, schema: string, name: string): Promise<CollectionInfo | undefined> {
  const exists = await client.query<{ t: string | null }>(`select to_regclass('${CATALOG_TABLE}')::text as t`);
  if (!exists.rows[0]?.t) return undefined;
  const r = await client.query<CatalogRow>(`SELECT ${CATALOG_COLUMNS} FROM ${CATALOG_TABLE} WHERE schema_name = $1 AND name = $2`, [schema, name]);
  return r.rows[0] ? rowToInfo(r.rows[0]) : undefined;
}
