import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InputError, QueryError } from '@pgcluster/core';
import { from as copyFrom } from 'pg-copy-streams';
import type pg from 'pg';
import { getCollection } from '../collection/get-collection';
import { qualifiedName, quoteIdent } from '../collection/identifier';
import type { SqlStatement } from '../collection/sql-statement';
import type { CollectionInfo } from '../collection/collection-info';
import { COPY_BINARY_HEADER, COPY_BINARY_TRAILER, CopyRowEncoder } from '../copy/copy-binary-writer';
import type { VectorDb } from '../connection/vector-db';
import { vectorIndexDefinitions } from '../index/index-status';
import { type CheckedRow, validateRow } from './validate-row';
import type { VectorRow } from './vector-row';

/** What to do when a key already exists in its namespace; one tuple yields type and choices. */
export const ON_CONFLICT = ['update', 'skip', 'error'] as const;
/** One of {@link ON_CONFLICT}. */
export type OnConflict = (typeof ON_CONFLICT)[number];

/** Progress of a running insert. */
export interface InsertProgress {
  rows: number;
  elapsedMs: number;
  rowsPerSecond: number;
}

/** Options of {@link insertVectors}. */
export interface InsertOptions {
  /**
   * `update` (default): upsert by (namespace, key) through a staging table — the last
   * occurrence of a key in the input wins; `skip`: keep existing rows; `error`: COPY straight
   * into the collection (fastest) and fail the whole call on a duplicate key.
   */
  onConflict?: OnConflict;
  /** Drop the collection's vector indexes before the load and build them again after it (in the same transaction). */
  rebuildIndexes?: boolean;
  /** `maintenance_work_mem` for rebuilt indexes; default `512MB`. */
  maintenanceWorkMem?: string;
  /** Called about every `progressEvery` rows and at the end. */
  onProgress?: (progress: InsertProgress) => void;
  /** Default 10,000. */
  progressEvery?: number;
  /** Rows per COPY chunk (one Buffer, one CopyData message); default 512. */
  batchSize?: number;
  signal?: AbortSignal;
}

/** What {@link insertVectors} did. */
export interface InsertResult {
  collection: string;
  onConflict: OnConflict;
  /** Rows read from the input. */
  rows: number;
  inserted: number;
  updated: number;
  /** Rows not written: duplicates within the input, or existing keys with `skip`. */
  skipped: number;
  durationMs: number;
  rowsPerSecond: number;
  /** Indexes dropped and built again around the load. */
  indexesRebuilt: string[];
}

/**
 * How many encoded bytes may wait ahead of the socket: enough for the encoder to work while the
 * server drains the previous chunks, small enough that memory stays flat whatever the input size.
 */
const READ_AHEAD_BYTES = 4 * 1024 * 1024;

const MEMORY_UNITS = /^[1-9][0-9]{0,6}(kB|MB|GB)$/;

/**
 * The statements an insert runs (for `--dry-run` and for the run itself). The COPY statement
 * receives the rows in PostgreSQL's binary format.
 *
 * @example
 * ```ts
 * insertStatements(info, { onConflict: 'update' }).map((s) => s.text)
 * ```
 */
export function insertStatements(info: CollectionInfo, options: Pick<InsertOptions, 'onConflict'> = {}): SqlStatement[] {
  const onConflict = options.onConflict ?? 'update';
  const table = qualifiedName(info.schema, info.name);
  const columns = 'key, namespace, embedding, metadata';
  if (onConflict === 'error') return [{ text: `COPY ${table} (${columns}) FROM STDIN (FORMAT binary)` }];
  const stage = quoteIdent(`pgc_stage_${info.name}`);
  const action = onConflict === 'update' ? 'DO UPDATE SET embedding = EXCLUDED.embedding, metadata = EXCLUDED.metadata' : 'DO NOTHING';
  return [
    { text: `CREATE TEMP TABLE ${stage} (ord bigint, key text, namespace text, embedding ${info.type}(${info.dimension}), metadata jsonb) ON COMMIT DROP` },
    { text: `COPY ${stage} (ord, ${columns}) FROM STDIN (FORMAT binary)` },
    {
      text: `WITH w AS (
  INSERT INTO ${table} (${columns})
  SELECT DISTINCT ON (namespace, key) ${columns} FROM ${stage} ORDER BY namespace, key, ord DESC
  ON CONFLICT (namespace, key) ${action}
  RETURNING (xmax = 0) AS inserted)
SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM w`,
    },
  ];
}

/**
 * Inserts (by default upserts) vectors with a streaming **binary COPY**, in one transaction:
 * all-or-nothing, so a bad row or a failure leaves the collection as it was. Rows are
 * validated while they stream (dimension, NaN, ±Infinity, halfvec range; the error names the
 * 1-based row); memory stays flat whatever the input's size, because the source is pulled only
 * as fast as the server takes the data (backpressure).
 *
 * @param rows an array, an iterable or an async iterable (see `readVectorFile` for files).
 * @throws VectorRowError for a bad row, InputError for bad options, QueryError when the database refuses.
 * @example
 * ```ts
 * const r = await insertVectors(db, 'docs', readVectorFile('embeddings.ndjson'), {
 *   onProgress: (p) => console.error(`${p.rows} rows, ${Math.round(p.rowsPerSecond)}/s`),
 * })
 * console.log(`${r.inserted} new, ${r.updated} updated at ${r.rowsPerSecond} rows/s`)
 * ```
 */
export async function insertVectors(
  db: VectorDb,
  collection: string,
  rows: Iterable<VectorRow> | AsyncIterable<VectorRow>,
  options: InsertOptions = {},
): Promise<InsertResult> {
  const onConflict = options.onConflict ?? 'update';
  if (!ON_CONFLICT.includes(onConflict)) throw new InputError('onConflict', `must be one of ${ON_CONFLICT.join(', ')}`);
  const batchSize = options.batchSize ?? 512;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) throw new InputError('batchSize', 'must be an integer from 1 to 100000');
  const mwm = options.maintenanceWorkMem ?? '512MB';
  // Security: the value goes into SET LOCAL through set_config (bound), and must look like a size.
  if (!MEMORY_UNITS.test(mwm)) throw new InputError('maintenanceWorkMem', 'must be a size such as 64MB or 1GB');
  const progressEvery = options.progressEvery ?? 10_000;
  const info = await getCollection(db, collection, { fresh: true });
  const statements = insertStatements(info, { onConflict });
  const started = performance.now();
  let count = 0;
  let nextReport = progressEvery;
  const report = () => {
    const elapsedMs = performance.now() - started;
    options.onProgress?.({ rows: count, elapsedMs, rowsPerSecond: elapsedMs > 0 ? (count * 1000) / elapsedMs : 0 });
  };
  const encoder = new CopyRowEncoder(info.type, info.dimension, onConflict !== 'error');
  const take = (row: VectorRow, batch: CheckedRow[]) => {
    if (options.signal?.aborted) throw new InputError('signal', 'the insert was aborted; nothing was written');
    count++;
    batch.push(validateRow(row, count, info.dimension, info.type));
    if (count >= nextReport) {
      nextReport += progressEvery;
      report();
    }
  };
  // Each chunk becomes one Buffer (one CopyData message). A synchronous source (an array, a
  // generator) fills a chunk in a plain loop; only an async source pays an await per row.
  async function* encoded(): AsyncGenerator<Buffer> {
    yield COPY_BINARY_HEADER;
    if (Symbol.iterator in rows) {
      const it = (rows as Iterable<VectorRow>)[Symbol.iterator]();
      for (;;) {
        const first = count;
        const batch: CheckedRow[] = [];
        let next = it.next();
        while (!next.done) {
          take(next.value, batch);
          if (batch.length >= batchSize) break;
          next = it.next();
        }
        if (batch.length > 0) yield encoder.encode(batch, first);
        if (next.done) break;
      }
    } else {
      let batch: CheckedRow[] = [];
      let first = 0;
      for await (const row of rows) {
        take(row, batch);
        if (batch.length >= batchSize) {
          yield encoder.encode(batch, first);
          first = count;
          batch = [];
        }
      }
      if (batch.length > 0) yield encoder.encode(batch, first);
    }
    yield COPY_BINARY_TRAILER;
  }

  let client: pg.PoolClient;
  try {
    client = await db.primary.connect();
  } catch (error) {
    throw QueryError.from(error, `connecting to insert into ${collection}`);
  }
  let broken = false;
  const indexesRebuilt: string[] = [];
  try {
    await client.query('BEGIN');
    let dropped: { name: string; definition: string }[] = [];
    if (options.rebuildIndexes) {
      dropped = await vectorIndexDefinitions(client, info.schema, info.name);
      for (const d of dropped) await client.query(`DROP INDEX ${qualifiedName(info.schema, d.name)}`);
    }
    let inserted: number;
    let updated = 0;
    if (onConflict === 'error') {
      const copy = client.query(copyFrom(statements[0]!.text));
      await pipeline(Readable.from(encoded(), { objectMode: false, highWaterMark: READ_AHEAD_BYTES }), copy);
      inserted = copy.rowCount;
    } else {
      await client.query(statements[0]!.text);
      await pipeline(Readable.from(encoded(), { objectMode: false, highWaterMark: READ_AHEAD_BYTES }), client.query(copyFrom(statements[1]!.text)));
      const r = await client.query<{ inserted: number; updated: number }>(statements[2]!.text);
      inserted = r.rows[0]!.inserted;
      updated = r.rows[0]!.updated;
    }
    if (dropped.length > 0) {
      await client.query("SELECT set_config('maintenance_work_mem', $1, true)", [mwm]);
      for (const d of dropped) {
        await client.query(d.definition);
        indexesRebuilt.push(d.name);
      }
    }
    await client.query('COMMIT');
    report();
    const durationMs = performance.now() - started;
    return {
      collection,
      onConflict,
      rows: count,
      inserted,
      updated,
      skipped: count - inserted - updated,
      durationMs: Math.round(durationMs),
      rowsPerSecond: Math.round(durationMs > 0 ? (count * 1000) / durationMs : 0),
      indexesRebuilt,
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw QueryError.from(error, `inserting into ${collection}`);
  } finally {
    client.release(broken);
  }
}
