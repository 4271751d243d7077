import { InputError } from '@pgcluster/core';
import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { z } from 'zod';
import { getCollection } from '../collection/get-collection';
import { toPlanSteps } from '../collection/sql-statement';
import { insertStatements, insertVectors, ON_CONFLICT, type InsertProgress } from '../insert/insert-vectors';
import { checkReadableFile } from '../loaders/check-readable-file';
import { countFileRows, FILE_FORMATS, formatOfFile, readVectorFile } from '../loaders/read-vector-file';
import { withSkillDb } from './open-skill-db';

/** Input of `vector-insert`. */
export const VectorInsertInput = z
  .object({
    collection: z.string().describe('The collection to insert into (it must exist: vector-index --action create-collection).'),
    // Audit: a file is recorded as its path, size and sha256; inline rows as their count and sha256.
    file: z.string().meta({ audit: 'file' }).optional().describe('A file to stream: .ndjson/.jsonl, .csv, .fvecs or .npy (memory stays flat whatever its size).'),
    fileFormat: z.enum(FILE_FORMATS).optional().describe('The file\'s format when its extension does not say.'),
    keyOffset: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('.npy/.fvecs: added to each row number to make its key (default 0). Give the rows already loaded from earlier files, or their rows are replaced.'),
    rows: z
      .array(
        z.object({
          key: z.union([z.string(), z.number()]).describe('Unique per namespace.'),
          embedding: z.array(z.number()).describe('The vector; its length must be the collection\'s dimension.'),
          namespace: z.string().optional().describe('Default "" (the default namespace).'),
          metadata: z.record(z.string(), z.unknown()).optional().describe('A JSON object, searchable with filters.'),
        }),
      )
      .optional()
      .meta({ audit: 'digest' })
      .describe('Rows given inline (small loads); use file for large ones.'),
    onConflict: z.enum(ON_CONFLICT).default('update').describe('update (upsert by namespace+key; default), skip existing keys, or error on a duplicate (fastest: COPY straight into the table).'),
    rebuildIndexes: z.boolean().default(false).describe('Drop the vector indexes before a large load and build them again after it, in the same transaction (blocks writes meanwhile).'),
    database: z.string().optional().describe('A database name or a name from the config\'s databases; default the node URL\'s.'),
  })
  .refine((i) => (i.file === undefined) !== (i.rows === undefined), { message: 'give exactly one of file or rows', path: ['file'] });
/** Input of `vector-insert`. */
export type VectorInsertInput = z.infer<typeof VectorInsertInput>;

/** Output of `vector-insert`. */
export const VectorInsertOutput = z.object({
  collection: z.string().describe('The collection written.'),
  onConflict: z.enum(ON_CONFLICT).describe('How duplicates were handled.'),
  rows: z.number().describe('Rows read from the input.'),
  inserted: z.number().describe('New rows.'),
  updated: z.number().describe('Existing rows replaced (upsert).'),
  skipped: z.number().describe('Rows not written: duplicates within the input, or existing keys with skip.'),
  durationMs: z.number().describe('Wall time of the whole load.'),
  rowsPerSecond: z.number().describe('Throughput of the load.'),
  indexesRebuilt: z.array(z.string()).describe('Indexes dropped and built again around the load.'),
});
/** Output of `vector-insert`. */
export type VectorInsertOutput = z.infer<typeof VectorInsertOutput>;

/**
 * `vector-insert`: streams vectors into a collection with binary COPY, all-or-nothing.
 *
 * @example
 * ```ts
 * await executeSkill(VectorInsertSkill, { collection: 'docs', file: 'docs.ndjson' })
 * ```
 */
export class VectorInsertSkill {
  @Skill({
    name: 'vector-insert',
    category: 'vector',
    description:
      'Loads embeddings into a pgvector collection by binary COPY, from inline rows or NDJSON, CSV, fvecs or npy files, upserting by key, all or nothing. ' +
      'Use to add, update or bulk-load vectors.',
    details:
      'Loads embeddings into a pgvector collection with a streaming binary COPY (as fast as raw COPY), from inline rows or a ' +
      'file (.ndjson/.jsonl, .csv, .fvecs, .npy) whose size does not matter: memory stays flat. Upserts by namespace and key ' +
      'through a staging table by default (or skips existing keys, or fails on duplicates). Every row is checked while it ' +
      'streams (dimension, NaN, infinity); a bad row is reported with its row number and the whole call is rolled back, so ' +
      'the collection is either fully loaded or unchanged. Can drop and rebuild the HNSW index around a large load. Reports ' +
      'rows per second and progress on stderr. Not undoable automatically (upserts overwrite).',
    version: '1.0.0',
    risk: 'write',
    autonomous: false,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'the user wants to add or update embeddings in a collection',
      'bulk-loading an embeddings file (NDJSON, CSV, fvecs, npy)',
      're-loading a corrected file: upsert replaces rows by key',
    ],
    interpret:
      'inserted + updated + skipped = rows. rowsPerSecond is the load\'s throughput. An INVALID_INPUT error naming rows[i] means row i+1 ' +
      'was bad and nothing was written; fix it and run again. indexesRebuilt lists indexes rebuilt when rebuildIndexes was set.',
    decisionTree: [
      { when: 'the collection does not exist', skill: 'vector-index', input: { action: 'create-collection', collection: '<collection>', dimension: '<dimension>' } },
      { when: 'a large load finished and the collection has no index', skill: 'vector-index', input: { action: 'create', collection: '<collection>', profile: 'balanced' } },
      { when: 'many rows were updated', skill: 'vector-index', input: { action: 'tune', collection: '<collection>', targetRecall: 0.95 } },
    ],
    examples: [
      { title: 'Load an NDJSON file (upsert)', skill: 'vector-insert', input: { collection: 'docs', file: 'embeddings.ndjson' } },
      { title: 'Bulk-load a big .npy, rebuilding the index once at the end', skill: 'vector-insert', input: { collection: 'docs', file: 'vectors.npy', rebuildIndexes: true } },
      { title: 'Show what it would run', skill: 'vector-insert', input: { collection: 'docs', file: 'embeddings.ndjson' }, options: { dryRun: true } },
      { title: 'Add a second .npy after a first one of 100000 rows, keyed 100000 onwards', skill: 'vector-insert', input: { collection: 'docs', file: 'part2.npy', keyOffset: 100000 } },
    ],
    inputFormats: [
      'A row is `{"key": "doc-1", "embedding": [0.1, 0.2, 0.3], "namespace": "tenant1", "metadata": {"lang": "en"}}`: `key` (string or number) is unique per namespace, `embedding` has the collection\'s dimension, `namespace` (default "") and `metadata` (a JSON object, searchable with filters) are optional. Inline: `--input \'{"collection": "docs", "rows": [{"key": "doc-1", "embedding": [0.1, 0.2, 0.3]}]}\'`.',
      '.ndjson/.jsonl: one row object per line, as above (`id` and `vector` are accepted for `key` and `embedding`; without a key, the 1-based line number).',
      '.csv: the first line is a header naming the columns; it must name `embedding` (or `vector`), and may name `key` (or `id`), `namespace` and `metadata`. Embeddings in pgvector text form and metadata as JSON, quoted: `key,embedding,metadata` then `doc-1,"[0.1,0.2,0.3]","{""lang"":""en""}"`. Without a key column, the row number is the key.',
      '.npy (float32 or float64, 2-D, C order) and .fvecs: no keys in the file; each row\'s key is its 0-based row number plus `--key-offset` (default 0). Loading a second file with the same offset replaces the first one\'s rows (an alert says how many): give `--key-offset` the number of rows already loaded, e.g. `--file part2.npy --key-offset 100000`.',
    ],
    metrics: [
      { name: 'pgcluster_vector_insert_rows', help: 'Rows read from the input.', value: 'rows', labels: { collection: 'collection' } },
      { name: 'pgcluster_vector_insert_inserted_rows', help: 'New rows written.', value: 'inserted', labels: { collection: 'collection' } },
      { name: 'pgcluster_vector_insert_updated_rows', help: 'Existing rows replaced (upsert).', value: 'updated', labels: { collection: 'collection' } },
      { name: 'pgcluster_vector_insert_skipped_rows', help: 'Rows not written: duplicates within the input, or existing keys with skip.', value: 'skipped', labels: { collection: 'collection' } },
      { name: 'pgcluster_vector_insert_duration_seconds', help: 'Wall time of the whole load.', value: 'durationMs', scale: 0.001, labels: { collection: 'collection' } },
      { name: 'pgcluster_vector_insert_rows_per_second', help: 'Throughput of the load.', value: 'rowsPerSecond', labels: { collection: 'collection' } },
    ],
    input: VectorInsertInput,
    output: VectorInsertOutput,
  })
  static async run(ctx: SkillContext, input: VectorInsertInput): Promise<SkillResult<VectorInsertOutput>> {
    const source = input.file !== undefined ? readVectorFile(input.file, input.fileFormat, input.keyOffset !== undefined ? { keyOffset: input.keyOffset } : {}) : input.rows ?? [];
    const label = `inserting into ${input.collection}`;
    const total = input.rows?.length ?? (input.file !== undefined ? countFileRows(input.file, input.fileFormat) : undefined);
    const onProgress = (p: InsertProgress) => {
      if (!ctx.log.progress) return ctx.log.info(`${label}: ${p.rows} rows, ${Math.round(p.rowsPerSecond)} rows/s`);
      // Streaming every row is not the end: the rows are then written (upsert, index rebuild) in the same transaction.
      if (total !== undefined && p.rows >= total) return ctx.log.progress({ label: `writing ${total} rows into ${input.collection}`, done: p.rows, unit: 'rows' });
      ctx.log.progress({ label, done: p.rows, ...(total !== undefined ? { total } : {}), unit: 'rows' });
    };
    const r = await withSkillDb(ctx, input.database, (db) =>
      insertVectors(db, input.collection, source, { onConflict: input.onConflict, rebuildIndexes: input.rebuildIndexes, onProgress, signal: ctx.signal }),
    );
    ctx.log.progress?.({ label, done: r.rows, total: r.rows, unit: 'rows' });
    const alerts = r.skipped > 0 ? [`${r.skipped} rows were not written (duplicates in the input or existing keys)`] : [];
    const numbered = input.file !== undefined && ['npy', 'fvecs'].includes(input.fileFormat ?? formatOfFile(input.file));
    if (numbered && r.updated > 0) {
      // Rows of .npy/.fvecs are keyed by row number: a second file would silently replace the first's rows.
      alerts.push(`${r.updated} rows replaced existing rows with the same row-number keys (${input.file} is keyed 0, 1, 2, … plus --key-offset): to add a file instead, load it with --key-offset <rows already loaded>`);
    }
    return { data: r, alerts };
  }

  /** The statements of the load (the rows go through COPY in binary). */
  static async plan(ctx: SkillContext, input: VectorInsertInput): Promise<PlanStep[]> {
    if (input.file === undefined && input.rows === undefined) throw new InputError('file', 'give exactly one of file or rows');
    // Before anything runs (dry run included): a file that cannot be read is bad input, not a failed query.
    if (input.file !== undefined) checkReadableFile(input.file, 'file');
    return withSkillDb(ctx, input.database, async (db) => {
      const info = await getCollection(db, input.collection);
      const what = input.file !== undefined ? `the rows of ${input.file}` : `${input.rows!.length} inline rows`;
      return [
        { kind: 'note', target: db.primaryLabel, text: `one transaction; ${what} validated and streamed in PostgreSQL binary COPY format` },
        ...toPlanSteps(db.primaryLabel, [
          { text: 'BEGIN' },
          ...(input.rebuildIndexes ? [{ text: '-- DROP INDEX each vector index of the collection (re-created before COMMIT)' }] : []),
          ...insertStatements(info, { onConflict: input.onConflict }),
          { text: 'COMMIT' },
        ]),
      ];
    });
  }
}
