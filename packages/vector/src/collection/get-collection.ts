import { InputError, QueryError } from '@pgcluster/core';
import type { VectorDb, VectorPool } from '../connection/vector-db';
import { readCatalogRow } from './catalog';
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
  if (!info) throw new InputError(field, `no collection named ${name} in schema ${db.schema}; create it first (vector-index with action create-collection)`);
  db.cache.set(name, { info, at: Date.now() });
  return info;
}
