import { InputError, QueryError } from '@pgcluster/core';
import { nearestName } from '@pgcluster/skill-kit';
import type { VectorDb, VectorPool } from '../connection/vector-db';
import { CATALOG_TABLE, readCatalogRow } from './catalog';
import type { CollectionInfo } from './collection-info';
import { validateCollectionName } from './identifier';

/**
 * Reads a collection's catalogue entry, cached by the handle for `db.cacheTtlMs`
 * (functions that change the entry through the same handle refresh it).
 *
 * @param pool where to read it; default the primary.
 * @throws InputError (`collection`) when there is no such collection.
 * @example
 * ```ts
 * const info = await getCollection(db, 'docs') // { dimension: 384, metric: 'cosine', … }
 * ```
 */
export async function getCollection(
  db: VectorDb,
  name: string,
  options: { pool?: VectorPool; fresh?: boolean; field?: string } = {},
): Promise<CollectionInfo> {
  const field = options.field ?? 'collection';
  validateCollectionName(name, field);
  const hit = db.cache.get(name);
  if (!options.fresh && hit && Date.now() - hit.at < db.cacheTtlMs) return hit.info;
  let info: CollectionInfo | undefined;
  try {
    info = await readCatalogRow(options.pool ?? db.primary, db.schema, name);
  } catch (error) {
    throw QueryError.from(error, `reading collection ${name}`);
  }
  if (!info) {
    const nearest = nearestName(name, await collectionNames(db, options.pool ?? db.primary));
    const hint = nearest ? `did you mean ${nearest}? Or create it` : 'create it first';
    throw new InputError(field, `no collection named ${name} in schema ${db.schema}; ${hint} (vector-index with action create-collection)`);
  }
  db.cache.set(name, { info, at: Date.now() });
  return info;
}

/** The names of the schema's collections, for a suggestion; none when the catalogue is missing or unreadable. */
async function collectionNames(db: VectorDb, pool: VectorPool): Promise<string[]> {
  try {
    const r = await pool.query<{ name: string }>(`SELECT name FROM ${CATALOG_TABLE} WHERE schema_name = $1`, [db.schema]);
    return r.rows.map((row) => row.name);
  } catch {
    return [];
  }
}

/**
 * Whether the collection is in the catalogue (a valid name is required all the same).
 *
 * @throws InputError when the name is not a valid collection name.
 * @example
 * ```ts
 * if (!(await collectionExists(db, 'docs'))) return { dropped: false }
 * ```
 */
export async function collectionExists(db: VectorDb, name: string): Promise<boolean> {
  validateCollectionName(name, 'collection');
  try {
    return (await readCatalogRow(db.primary, db.schema, name)) !== undefined;
  } catch (error) {
    throw QueryError.from(error, `reading collection ${name}`);
  }
}
