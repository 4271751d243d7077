import { InputError, withClient } from '@pgcluster/core';
import { qualifiedName, quoteIdent, validateCollectionName, validateIdentifier } from '../collection/identifier';
import type { SqlStatement } from '../collection/sql-statement';
import type { VectorDb } from '../connection/vector-db';
import { indexStatus } from './index-status';

/**
 * The statement that drops an index without blocking reads and writes.
 * @example dropIndexStatements('public', 'docs_embedding_hnsw')[0].text
 */
export function dropIndexStatements(schema: string, index: string): SqlStatement[] {
  return [{ text: `DROP INDEX CONCURRENTLY IF EXISTS ${qualifiedName(schema, validateIdentifier(index, 'index'))}` }];
}

/** What {@link dropIndex} did. */
export interface DropIndexResult {
  collection: string;
  index: string;
  dropped: boolean;
  /** The dropped index's definition: running it creates the index again (the rollback). */
  definition: string | null;
}

/**
 * Drops a vector index of a collection (`DROP INDEX CONCURRENTLY`) and returns its
 * definition so it can be created again. Without `index`, the collection must have exactly one.
 *
 * @throws InputError when the index is not a vector index of that collection.
 * @example
 * ```ts
 * const { definition } = await dropIndex(db, { collection: 'docs' })
 * ```
 */
export async function dropIndex(db: VectorDb, input: { collection: string; index?: string }): Promise<DropIndexResult> {
  const collection = validateCollectionName(input.collection, 'collection');
  const { indexes } = await indexStatus(db, { collection });
  const target = await indexToDrop(db, indexes, input.index, collection);
  if (!target) return { collection, index: input.index ?? '', dropped: false, definition: null };
  await withClient(db.primaryConnection, `dropping index ${target.name}`, async (c) => {
    for (const s of dropIndexStatements(db.schema, target.name)) await c.query(s.text);
  });
  db.cache.delete(collection);
  return { collection, index: target.name, dropped: true, definition: target.definition };
}

/**
 * The vector index of a collection to drop: the named one, or its only one; undefined when it
 * is not there (dropping it is then a no-op). A named index that exists but is not one of the
 * collection's vector indexes is refused, so a drop cannot reach any other index.
 *
 * @throws InputError (`index`) for a name of another index, or several vector indexes and none named.
 * @example
 * ```ts
 * const ix = await indexToDrop(db, (await indexStatus(db, { collection: 'docs' })).indexes, undefined, 'docs')
 * ```
 */
export async function indexToDrop<T extends { name: string }>(db: VectorDb, indexes: readonly T[], name: string | undefined, collection: string): Promise<T | undefined> {
  const found = resolveIndex(indexes, name, collection, { absent: 'undefined' });
  if (found || name === undefined) return found;
  const other = await db.primary.query<{ t: string | null }>('select to_regclass($1)::text as t', [`${quoteIdent(db.schema)}.${quoteIdent(name)}`]);
  if (other.rows[0]?.t) resolveIndex(indexes, name, collection); // exists, but not one of ours: throws naming the vector indexes
  return undefined;
}

/**
 * Picks the named vector index of a collection, or its only one.
 * @param options.absent `undefined`: a named index that is not there gives undefined (a drop of it is a no-op) instead of throwing.
 * @throws InputError (`index`) when the name is not among them, or when there are several and none is named.
 */
export function resolveIndex<T extends { name: string }>(
  indexes: readonly T[],
  name: string | undefined,
  collection: string,
  options: { absent?: 'throw' | 'undefined' } = {},
): T | undefined {
  if (name !== undefined) {
    validateIdentifier(name, 'index');
    const found = indexes.find((i) => i.name === name);
    if (!found && options.absent === 'undefined') return undefined;
    // Security: only an index that belongs to this collection (by catalogue lookup) can be dropped or rebuilt.
    if (!found) throw new InputError('index', `${name} is not a vector index of ${collection} (it has: ${indexes.map((i) => i.name).join(', ') || 'none'})`);
    return found;
  }
  if (indexes.length > 1) throw new InputError('index', `${collection} has several vector indexes (${indexes.map((i) => i.name).join(', ')}); name one`);
  return indexes[0];
}
