import type { CollectionInfo } from '../collection/collection-info';
import type { VectorDb } from '../connection/vector-db';
import { type SearchQuery, searchStatements } from './search-query';
import { runInTransaction } from './search-vectors';

/**
 * The exact k nearest keys of a query: the same SQL as a search, with index scans disabled
 * (`SET LOCAL enable_indexscan = off`, `enable_bitmapscan = off`), so PostgreSQL scans and
 * sorts every row. The ground truth for recall.
 *
 * @example
 * ```ts
 * const truth = await exactNeighbours(db, info, { vector: q, k: 10 })
 * ```
 */
export async function exactNeighbours(db: VectorDb, info: CollectionInfo, query: SearchQuery): Promise<string[]> {
  const s = searchStatements(info, query);
  const rows = await runInTransaction(
    db.primary,
    `exact search in ${info.name}`,
    { text: "SELECT set_config('enable_indexscan', 'off', true), set_config('enable_bitmapscan', 'off', true)" },
    // Unnamed: planned afresh under these settings, never from a prepared statement's cache.
    { text: s.query.text, values: s.query.values },
  );
  return rows.map((r) => `${r.namespace}\u0000${r.key}`);
}

/**
 * The approximate k nearest keys (through the index) on the primary, as `namespace\0key`.
 */
export async function approximateNeighbours(db: VectorDb, info: CollectionInfo, query: SearchQuery): Promise<string[]> {
  const s = searchStatements(info, query);
  const rows = await runInTransaction(db.primary, `search in ${info.name}`, s.settings, s.query);
  return rows.map((r) => `${r.namespace}\u0000${r.key}`);
}
