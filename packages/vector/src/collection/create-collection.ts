import { InputError } from '@pgcluster/core';
import { readCatalogRow, CATALOG_TABLE, catalogStatements, ensureCatalog } from './catalog';
import type { CollectionInfo } from './collection-info';
import { qualifiedName, validateCollectionName } from './identifier';
import { DIMENSION_LIMITS, METRICS, type Metric, VECTOR_TYPES, type VectorType } from './metric';
import type { SqlStatement } from './sql-statement';
import { inTransaction, type VectorDb } from '../connection/vector-db';
import { describeCollection } from './describe-collection';

/** What {@link createCollection} is asked for. */
export interface CreateCollectionInput {
  /** The collection's (table's) name: lower-case letters, digits and `_`, at most 48. */
  name: string;
  /** Dimensions of every embedding. */
  dimension: number;
  /** `vector` (float4) or `halfvec` (float2, half the size); default `vector`. */
  type?: VectorType;
  /** Fixed at creation; decides operators and index opclasses. Default `cosine`. */
  metric?: Metric;
  /** Succeed without change when a collection of that name already has the same shape. */
  ifNotExists?: boolean;
}

/** The checked {@link CreateCollectionInput}. */
export interface CollectionSpec {
  name: string;
  dimension: number;
  type: VectorType;
  metric: Metric;
}

/**
 * Checks a collection's shape: name, dimension within pgvector's limits (the indexed limit:
 * 2,000 for `vector`, 4,000 for `halfvec`), type and metric.
 *
 * @throws InputError naming the field.
 * @example
 * ```ts
 * checkCollectionSpec({ name: 'docs', dimension: 384 }) // { name: 'docs', dimension: 384, type: 'vector', metric: 'cosine' }
 * ```
 */
export function checkCollectionSpec(input: CreateCollectionInput): CollectionSpec {
  const name = validateCollectionName(input.name, 'name');
  const type = input.type ?? 'vector';
  if (!VECTOR_TYPES.includes(type)) throw new InputError('type', `must be one of ${VECTOR_TYPES.join(', ')}`);
  const metric = input.metric ?? 'cosine';
  if (!METRICS.includes(metric)) throw new InputError('metric', `must be one of ${METRICS.join(', ')}`);
  const limit = DIMENSION_LIMITS[type].indexed;
  if (!Number.isInteger(input.dimension) || input.dimension < 1 || input.dimension > limit) {
    throw new InputError(
      'dimension',
      `must be an integer from 1 to ${limit} for ${type} (pgvector cannot index more${type === 'vector' ? '; use type halfvec for up to 4,000' : ''})`,
    );
  }
  return { name, dimension: input.dimension, type, metric };
}

/**
 * The statements that create a collection (used by the run and by `--dry-run`).
 *
 * @example
 * ```ts
 * createCollectionStatements('public', checkCollectionSpec({ name: 'docs', dimension: 3 }))
 * ```
 */
export function createCollectionStatements(schema: string, spec: CollectionSpec, ifNotExists = false): SqlStatement[] {
  const table = qualifiedName(schema, spec.name);
  // Security: dimension is an integer checked by checkCollectionSpec; type names come from a fixed tuple.
  return [
    ...catalogStatements(),
    {
      text: `CREATE TABLE${ifNotExists ? ' IF NOT EXISTS' : ''} ${table} (
  key text NOT NULL,
  namespace text NOT NULL DEFAULT '',
  embedding ${spec.type}(${spec.dimension}) NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (namespace, key)
)`,
    },
    {
      text: `INSERT INTO ${CATALOG_TABLE} (schema_name, name, dimension, vector_type, metric) VALUES ($1, $2, $3, $4, $5)${
        ifNotExists ? ' ON CONFLICT (schema_name, name) DO NOTHING' : ''
      }`,
      values: [schema, spec.name, spec.dimension, spec.type, spec.metric],
    },
  ];
}

/** What {@link createCollection} did. */
export interface CreateCollectionResult {
  created: boolean;
  collection: CollectionInfo;
}

/**
 * Creates a collection: a table `(key, namespace, embedding, metadata, created_at)` with
 * `(namespace, key)` as its primary key, and its row in `pgcluster.vector_collections`.
 *
 * @throws InputError on a bad name/dimension/type/metric, or when the collection exists with
 *   another shape; QueryError when the database refuses.
 * @example
 * ```ts
 * await createCollection(db, { name: 'docs', dimension: 384, metric: 'cosine' })
 * ```
 */
export async function createCollection(db: VectorDb, input: CreateCollectionInput): Promise<CreateCollectionResult> {
  const spec = checkCollectionSpec(input);
  const created = await inTransaction(db.primary, `creating collection ${spec.name}`, async (client) => {
    await ensureCatalog(client);
    const existing = await readCatalogRow(client, db.schema, spec.name);
    if (existing) {
      const same = existing.dimension === spec.dimension && existing.type === spec.type && existing.metric === spec.metric;
      if (input.ifNotExists && same) return false;
      throw new InputError(
        'name',
        same
          ? `collection ${spec.name} already exists (pass ifNotExists to accept it)`
          : `collection ${spec.name} already exists as ${existing.type}(${existing.dimension}) ${existing.metric}`,
      );
    }
    const exists = await client.query<{ t: string | null }>('select to_regclass($1)::text as t', [`${db.schema}.${spec.name}`]);
    if (exists.rows[0]?.t) throw new InputError('name', `a table named ${db.schema}.${spec.name} exists but is not a collection`);
    for (const s of createCollectionStatements(db.schema, spec).slice(2)) await client.query(s.text, s.values as unknown[] | undefined);
    return true;
  });
  db.cache.delete(spec.name);
  return { created, collection: await describeCollectionInfo(db, spec.name) };
}

async function describeCollectionInfo(db: VectorDb, name: string): Promise<CollectionInfo> {
  const d = await describeCollection(db, name);
  const { rows: _r, sizeBytes: _s, indexes: _i, ...info } = d;
  return info;
}
