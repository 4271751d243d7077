import { InputError } from '@pgcluster/core';
import type { VectorType } from '../collection/metric';
import type { VectorRow } from './vector-row';

/** The longest key and namespace accepted, in characters. */
export const MAX_KEY_LENGTH = 512;

/** The largest magnitude a `halfvec` element can hold. */
export const HALF_MAX = 65504;

/**
 * A row that failed validation. `row` is 1-based (the first row is row 1), and the field
 * names its position in the input (`rows[41].embedding`).
 *
 * @example
 * ```ts
 * try { await insertVectors(db, 'docs', rows) }
 * catch (e) { if (e instanceof VectorRowError) console.error(`fix row ${e.row}`) }
 * ```
 */
export class VectorRowError extends InputError {
  /** The 1-based number of the offending row in the input. */
  readonly row: number;

  constructor(row: number, part: 'key' | 'namespace' | 'embedding' | 'metadata', allowed: string) {
    super(`rows[${row - 1}].${part}`, `row ${row}: ${allowed}; nothing was written`, {
      hint: 'Fix or remove that row and run the insert again; the whole call was rolled back.',
    });
    this.row = row;
  }
}

/** A validated row, ready to encode. */
export interface CheckedRow {
  key: string;
  namespace: string;
  embedding: ArrayLike<number>;
  /** The metadata as JSON text. */
  metadataJson: string;
}

/**
 * Checks one row against a collection's shape: key and namespace non-empty strings of at
 * most {@link MAX_KEY_LENGTH}, the embedding's dimension, every element finite (no NaN or
 * ±Infinity; within ±65,504 for `halfvec`), metadata a JSON object.
 *
 * @param rowNumber the 1-based position of the row in the input, named in errors.
 * @throws VectorRowError naming the row and the problem.
 * @example
 * ```ts
 * validateRow({ key: 'a', embedding: [1, Number.NaN] }, 7, 2, 'vector')
 * // throws VectorRowError: rows[6].embedding: row 7: element 1 is NaN …
 * ```
 */
export function validateRow(row: VectorRow, rowNumber: number, dimension: number, type: VectorType): CheckedRow {
  if (row === null || typeof row !== 'object') throw new VectorRowError(rowNumber, 'key', 'must be an object { key, embedding, namespace?, metadata? }');
  const key = typeof row.key === 'number' && Number.isFinite(row.key) ? String(row.key) : row.key;
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new VectorRowError(rowNumber, 'key', `must be a non-empty string or a finite number of at most ${MAX_KEY_LENGTH} characters`);
  }
  // Security: NUL cannot be stored in text and would make the whole COPY fail late; refuse it up front.
  if (key.includes('\u0000')) throw new VectorRowError(rowNumber, 'key', 'must not contain NUL characters');
  const namespace = row.namespace ?? '';
  if (typeof namespace !== 'string' || namespace.length > MAX_KEY_LENGTH || namespace.includes('\u0000')) {
    throw new VectorRowError(rowNumber, 'namespace', `must be a string of at most ${MAX_KEY_LENGTH} characters without NUL`);
  }
  const e = row.embedding;
  if (e === null || typeof e !== 'object' || typeof e.length !== 'number') {
    throw new VectorRowError(rowNumber, 'embedding', `must be an array of ${dimension} numbers`);
  }
  if (e.length !== dimension) {
    throw new VectorRowError(rowNumber, 'embedding', `has ${e.length} dimensions, the collection has ${dimension}`);
  }
  if (!embeddingInRange(e, dimension, type)) throw embeddingError(e, rowNumber, dimension, type);
  const metadata = row.metadata ?? {};
  if (typeof metadata !== 'object' || Array.isArray(metadata)) throw new VectorRowError(rowNumber, 'metadata', 'must be a JSON object');
  let metadataJson: string;
  try {
    metadataJson = JSON.stringify(metadata);
  } catch {
    throw new VectorRowError(rowNumber, 'metadata', 'must be serialisable as JSON');
  }
  // Security: jsonb refuses \u0000 escapes; catching it here keeps the error attached to its row.
  if (metadataJson.includes('\\u0000')) throw new VectorRowError(rowNumber, 'metadata', 'must not contain NUL characters');
  return { key, namespace, embedding: e, metadataJson };
}

/** The largest finite float4. */
const FLOAT4_MAX = 3.4028234663852886e38;

/**
 * One comparison per element on the hot path: `!(|v| <= limit)` is also true for NaN and
 * ±Infinity. Typed arrays hold only numbers (and a Float32Array only float4 values), so they
 * skip the type check; each kind gets its own loop so every element load stays monomorphic.
 */
function embeddingInRange(e: ArrayLike<unknown>, dimension: number, type: VectorType): boolean {
  const limit = type === 'halfvec' ? HALF_MAX : FLOAT4_MAX;
  if (e instanceof Float32Array && type === 'vector') return allFinite(e, dimension);
  if (e instanceof Float32Array) {
    for (let i = 0; i < dimension; i++) {
      const v = e[i]!;
      if (!(v <= limit && v >= -limit)) return false;
    }
    return true;
  }
  if (e instanceof Float64Array) {
    for (let i = 0; i < dimension; i++) {
      const v = e[i]!;
      if (!(v <= limit && v >= -limit)) return false;
    }
    return true;
  }
  for (let i = 0; i < dimension; i++) {
    const v = e[i];
    if (typeof v !== 'number' || !(v <= limit && v >= -limit)) return false;
  }
  return true;
}

/**
 * Whether every element of a Float32Array is finite (then it is a valid float4). `v * 0` is 0 for a
 * finite v and NaN for NaN or ±Infinity, and a NaN survives the sums: no branch per element, and four
 * independent sums so the additions do not wait on each other (about half the cost of two comparisons).
 */
function allFinite(e: Float32Array, dimension: number): boolean {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  const n = dimension & ~3;
  let i = 0;
  for (; i < n; i += 4) {
    a += e[i]! * 0;
    b += e[i + 1]! * 0;
    c += e[i + 2]! * 0;
    d += e[i + 3]! * 0;
  }
  for (; i < dimension; i++) a += e[i]! * 0;
  return a + b + c + d === 0;
}

/** The slow path, only for a bad embedding: finds the first bad element and says what is wrong with it. */
function embeddingError(e: ArrayLike<unknown>, rowNumber: number, dimension: number, type: VectorType): VectorRowError {
  for (let i = 0; i < dimension; i++) {
    const v = e[i];
    if (typeof v !== 'number' || Number.isNaN(v)) return new VectorRowError(rowNumber, 'embedding', `element ${i} is ${typeof v === 'number' ? 'NaN' : 'not a number'}`);
    if (!Number.isFinite(v)) return new VectorRowError(rowNumber, 'embedding', `element ${i} is ${v > 0 ? 'Infinity' : '-Infinity'}`);
    if (type === 'halfvec' && Math.abs(v) > HALF_MAX) return new VectorRowError(rowNumber, 'embedding', `element ${i} is outside ±${HALF_MAX}, the range of halfvec`);
    if (Math.abs(v) > FLOAT4_MAX) return new VectorRowError(rowNumber, 'embedding', `element ${i} is outside the range of float4`);
  }
  return new VectorRowError(rowNumber, 'embedding', 'has an element that is not a finite number');
}
