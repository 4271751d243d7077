import type { VectorDb } from '../connection/vector-db';
import { inTransaction } from '../connection/vector-db';
import { CATALOG_TABLE } from './catalog';
import { getCollection } from './get-collection';
import { qualifiedName, validateCollectionName } from './identifier';
import type { SqlStatement } from './sql-statement';

/**
 * The statements that drop a collection (its table and its catalogue row).
 * @example dropCollectionStatements('public', 'docs')[0].text // 'DROP TABLE "public"."docs"'
 */
export function dropCollectionStatements(schema: string, name: string): SqlStatement[] {
  validateCollectionName(name, 'collection');
  return [
    { text: `DROP TABLE IF EXISTS ${qualifiedName(schema, name)}` },
    { text: `DELETE FROM ${CATALOG_TABLE} WHERE schema_name = $1 AND name = $2`, values: [schema, name] },
  ];
}

/** What {@link dropCollection} did. */
export interface DropCollectionResult {
  dropped: boolean;
  collection: string;
  /** The dropped shape, enough to create it again (the rows are gone). */
  shape: { dimension: number; type: string; metric: string } | null;
}

/**
 * Drops a collection and its data. Destructive: the skill asks for confirmation.
 *
 * @example
 * ```ts
 * await dropCollection(db, 'docs', { ifExists: true })
 * ```
 */
export async function dropCollection(db: VectorDb, name: string, options: { ifExists?: boolean } = {}): Promise<DropCollectionResult> {
  validateCollectionName(name, 'collection');
  let info;
  try {
    info = await getCollection(db, name, { fresh: true });
  } catch (error) {
    if (options.ifExists) return { dropped: false, collection: name, shape: null };
    throw error;
  }
  await inTransaction(db.primary, `dropping collection ${name}`, async (client) => {
    for (const s of dropCollectionStatements(db.schema, name)) await client.query(s.text, s.values as unknown[] | undefined);
  });
  db.cache.delete(name);
  return { dropped: true, collection: name, shape: { dimension: info.dimension, type: info.type, metric: info.metric } };
}
