import { InputError, withClient } from '@pgcluster/core';
import { qualifiedName, validateCollectionName } from '../collection/identifier';
import type { SqlStatement } from '../collection/sql-statement';
import type { VectorDb } from '../connection/vector-db';
import { resolveIndex } from './drop-index';
import { indexStatus } from './index-status';

/**
 * The statements of a rebuild: memory and workers for this session, then `REINDEX CONCURRENTLY`.
 * @example rebuildIndexStatements('public', 'docs_embedding_hnsw', '512MB', 2)
 */
export function rebuildIndexStatements(schema: string, index: string, maintenanceWorkMem: string, parallelWorkers: number): SqlStatement[] {
  return [
    { text: "SELECT set_config('maintenance_work_mem', $1, false)", values: [maintenanceWorkMem] },
    { text: "SELECT set_config('max_parallel_maintenance_workers', $1, false)", values: [String(parallelWorkers)] },
    { text: `REINDEX INDEX CONCURRENTLY ${qualifiedName(schema, index)}` },
  ];
}

/** What {@link rebuildIndex} did. */
export interface RebuildIndexResult {
  collection: string;
  index: string;
  durationMs: number;
  sizeBytesBefore: number;
  sizeBytesAfter: number;
  maintenanceWorkMem: string;
  parallelWorkers: number;
  note: string;
}

/**
 * Rebuilds a vector index with `REINDEX CONCURRENTLY` (reads and writes go on), for example
 * after a failed build left it invalid or after many updates. Keeps its parameters.
 *
 * @example
 * ```ts
 * await rebuildIndex(db, { collection: 'docs' })
 * ```
 */
export async function rebuildIndex(
  db: VectorDb,
  input: { collection: string; index?: string; maintenanceWorkMem?: string; parallelWorkers?: number },
): Promise<RebuildIndexResult> {
  const collection = validateCollectionName(input.collection, 'collection');
  const mwm = input.maintenanceWorkMem ?? '512MB';
  if (!/^[1-9][0-9]{0,6}(kB|MB|GB)$/.test(mwm)) throw new InputError('maintenanceWorkMem', 'must be a size such as 256MB or 2GB');
  const workers = input.parallelWorkers ?? 2;
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) throw new InputError('parallelWorkers', 'must be an integer from 0 to 64');
  const before = await indexStatus(db, { collection });
  const target = resolveIndex(before.indexes, input.index, collection);
  if (!target) throw new InputError('index', `${collection} has no vector index to rebuild; create one first`);
  const started = performance.now();
  await withClient({ ...db.primaryConnection, applicationName: 'pgcluster-vector-index' }, `rebuilding index ${target.name}`, async (c) => {
    for (const s of rebuildIndexStatements(db.schema, target.name, mwm, workers)) await c.query(s.text, s.values as unknown[] | undefined);
  });
  const after = await indexStatus(db, { collection });
  return {
    collection,
    index: target.name,
    durationMs: Math.round(performance.now() - started),
    sizeBytesBefore: target.sizeBytes,
    sizeBytesAfter: after.indexes.find((i) => i.name === target.name)?.sizeBytes ?? 0,
    maintenanceWorkMem: mwm,
    parallelWorkers: workers,
    note: 'REINDEX keeps the index parameters (m, ef_construction, lists); to change them, drop and create the index.',
  };
}
