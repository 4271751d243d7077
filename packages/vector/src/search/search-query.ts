import { createHash } from 'node:crypto';
import { InputError } from '@pgcluster/core';
import type { CollectionInfo } from '../collection/collection-info';
import { qualifiedName } from '../collection/identifier';
import { distanceOperator, maxDistanceForSimilarity } from '../collection/metric';
import type { SqlStatement } from '../collection/sql-statement';
import { encodeVector } from '../copy/vector-binary';

/** pgvector's default `hnsw.ef_search`. */
export const PGVECTOR_DEFAULT_EF_SEARCH = 40;

/** The largest `hnsw.ef_search` pgvector accepts. */
export const MAX_EF_SEARCH = 1000;

/** What to search for. */
export interface SearchQuery {
  vector: ArrayLike<number>;
  /** How many neighbours; default 10, at most 1,000. */
  k?: number;
  /** Only rows of this namespace. */
  namespace?: string;
  /** Only rows whose metadata contains this JSON object (`metadata @> filter`). */
  filter?: Record<string, unknown>;
  /** Drop matches below this similarity (cosine `1 − d`, inner product, L2 `1/(1+d)`). */
  minSimilarity?: number;
  /** `hnsw.ef_search` for this query; default the collection's (set by a profile or `tune`), else 40. Raised to k if lower. */
  efSearch?: number;
  /** `ivfflat.probes` for this query (IVFFlat indexes); default pgvector's (1). */
  probes?: number;
  /** Return each match's embedding too. */
  includeEmbedding?: boolean;
}

/** The statements one search runs inside its own transaction. */
export interface SearchStatements {
  /**
   * `SET LOCAL` equivalents (ef_search, iterative scan, probes) as one statement without
   * parameters — its values are validated integers and fixed words — so it can travel with
   * `BEGIN` in one round trip.
   */
  settings: SqlStatement;
  /** The search; `$1` is the query vector in pgvector's binary format. */
  query: SqlStatement & {
    /** A name for a prepared statement, derived from the text (same text, same name). */
    name: string;
  };
  efSearch: number;
  iterativeScan: 'off' | 'relaxed_order';
}

/**
 * Formats a vector in pgvector's text form, after checking its dimension and that every
 * element is finite.
 *
 * @throws InputError (`vector`) naming the problem.
 * @example vectorLiteral([1, 2.5], 2) // '[1,2.5]'
 */
export function vectorLiteral(vector: ArrayLike<number>, dimension: number, field = 'vector'): string {
  if (vector === null || typeof vector !== 'object' || typeof vector.length !== 'number') throw new InputError(field, `must be an array of ${dimension} numbers`);
  if (vector.length !== dimension) throw new InputError(field, `has ${vector.length} dimensions, the collection has ${dimension}`);
  const parts = new Array<string>(dimension);
  for (let i = 0; i < dimension; i++) {
    const v = vector[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(field, `element ${i} must be a finite number`);
    parts[i] = String(v);
  }
  return `[${parts.join(',')}]`;
}

/**
 * Checks a query vector like {@link vectorLiteral} and encodes it in pgvector's binary format,
 * which is how a search binds it: the server reads the floats as they are instead of parsing
 * hundreds of decimal strings, and the client formats none.
 *
 * @throws InputError (`vector`) naming the problem.
 * @example vectorParameter([1, 2], 2, 'vector').toString('hex') // '000200003f80000040000000'
 */
export function vectorParameter(vector: ArrayLike<number>, dimension: number, type: CollectionInfo['type'], field = 'vector'): Buffer {
  if (vector === null || typeof vector !== 'object' || typeof vector.length !== 'number') throw new InputError(field, `must be an array of ${dimension} numbers`);
  if (vector.length !== dimension) throw new InputError(field, `has ${vector.length} dimensions, the collection has ${dimension}`);
  for (let i = 0; i < dimension; i++) {
    const v = vector[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(field, `element ${i} must be a finite number`);
  }
  return encodeVector(type, vector);
}

/**
 * Builds the SQL of a top-k search (shared by search, tune and the benchmark's raw-`pg`
 * baseline, so both run the identical statements). With a namespace or a metadata filter the
 * query uses pgvector's iterative index scan (`relaxed_order`), then re-sorts the k rows, so a
 * selective filter still returns k rows.
 *
 * @throws InputError naming the bad field.
 * @example
 * ```ts
 * const { settings, query } = searchStatements(info, { vector: q, k: 10, filter: { lang: 'en' } })
 * ```
 */
export function searchStatements(info: CollectionInfo, q: SearchQuery): SearchStatements {
  const k = q.k ?? 10;
  if (!Number.isInteger(k) || k < 1 || k > 1000) throw new InputError('k', 'must be an integer from 1 to 1000');
  const ef = Math.max(q.efSearch ?? info.defaultEfSearch ?? PGVECTOR_DEFAULT_EF_SEARCH, k);
  if (!Number.isInteger(ef) || ef < 1 || ef > MAX_EF_SEARCH) throw new InputError('efSearch', `must be an integer from 1 to ${MAX_EF_SEARCH}`);
  if (q.probes !== undefined && (!Number.isInteger(q.probes) || q.probes < 1 || q.probes > 32768)) {
    throw new InputError('probes', 'must be an integer from 1 to 32768');
  }
  if (q.namespace !== undefined && (typeof q.namespace !== 'string' || q.namespace.length > 512)) {
    throw new InputError('namespace', 'must be a string of at most 512 characters');
  }
  if (q.filter !== undefined && (q.filter === null || typeof q.filter !== 'object' || Array.isArray(q.filter))) {
    throw new InputError('filter', 'must be a JSON object, matched with metadata @> filter');
  }
  if (q.minSimilarity !== undefined && (typeof q.minSimilarity !== 'number' || !Number.isFinite(q.minSimilarity))) {
    throw new InputError('minSimilarity', 'must be a finite number');
  }
  const op = distanceOperator(info.metric);
  const values: unknown[] = [vectorParameter(q.vector, info.dimension, info.type), k];
  const where: string[] = [];
  if (q.namespace !== undefined) {
    values.push(q.namespace);
    where.push(`namespace = $${values.length}`);
  }
  if (q.filter !== undefined && Object.keys(q.filter).length > 0) {
    values.push(JSON.stringify(q.filter));
    where.push(`metadata @> $${values.length}::jsonb`);
  }
  const filtered = where.length > 0;
  const distance = `embedding ${op} $1::${info.type}`;
  const cols = `key, namespace, metadata, ${distance} AS distance${q.includeEmbedding ? ', embedding::text AS embedding' : ''}`;
  const inner = `SELECT ${cols} FROM ${qualifiedName(info.schema, info.name)}${filtered ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${distance} LIMIT $2`;
  let outerWhere = '';
  if (q.minSimilarity !== undefined) {
    values.push(maxDistanceForSimilarity(info.metric, q.minSimilarity));
    outerWhere = ` WHERE distance <= $${values.length}`;
  }
  // Security: every value above is bound ($n); only validated identifiers and fixed operators are in the text.
  const text =
    filtered || outerWhere
      ? `WITH r AS MATERIALIZED (${inner}) SELECT * FROM r${outerWhere} ORDER BY distance`
      : inner;
  const iterativeScan = filtered ? 'relaxed_order' : 'off';
  // Security: the only values spliced into the settings are ef (an integer checked above),
  // iterativeScan (one of two fixed words) and probes (an integer checked above).
  // plan_cache_mode: the query is a prepared statement (parsed once per connection), but still
  // planned for each call's values and settings, never from a generic plan made for others.
  let settingsText = `SELECT set_config('hnsw.ef_search', '${ef}', true), set_config('hnsw.iterative_scan', '${iterativeScan}', true), set_config('ivfflat.iterative_scan', '${iterativeScan}', true), set_config('plan_cache_mode', 'force_custom_plan', true)`;
  if (q.probes !== undefined) settingsText += `, set_config('ivfflat.probes', '${q.probes}', true)`;
  return { settings: { text: settingsText }, query: { text, values, name: statementName(text) }, efSearch: ef, iterativeScan };
}

/** A prepared statement's name for a text: `pgc_` and 24 hex digits of its SHA-1 (pg refuses one name for two texts). */
function statementName(text: string): string {
  return `pgc_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
}
