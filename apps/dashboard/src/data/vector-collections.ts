import { redactSecrets, redactUrl, type ClusterConfig } from '@pgcluster/core';
import { describeCollection, listCollections, openVectorDb, type IndexStatus } from '@pgcluster/vector';
import type { BenchmarkRun } from '../analytics/audit-rollup';

/** One collection as the "Vector collections" panel shows it. */
export interface CollectionNow {
  name: string;
  schema: string;
  dimension: number;
  type: string;
  metric: string;
  /** The planner's row estimate and the size on disk, indexes included. */
  rows: number;
  sizeBytes: number;
  indexes: Pick<IndexStatus, 'name' | 'method' | 'valid' | 'sizeBytes' | 'params'>[];
  /** What `vector-index tune` measured and chose (null until tuned). */
  tuned: { efSearch: number | null; recall: number | null; k: number | null; at: string | null };
  /** The last real `vector-benchmark` run on it, from the audit log. */
  lastBenchmark: BenchmarkRun | null;
}

/** The collections of a database, or why they could not be read. */
export interface VectorNow {
  at: string;
  database: string | null;
  collections: CollectionNow[];
  error: string | null;
}

/** Options of {@link readVectorCollections}. */
export interface ReadVectorOptions {
  /** A database name or a name from the config's `databases`; default `databases.project`, else the URL's. */
  database?: string;
  /** The last benchmark per collection (see `AuditRollup.benchmarks`). */
  benchmarks?: Readonly<Record<string, BenchmarkRun>>;
}

/**
 * Lists the vector collections with their size, indexes (method, validity, build parameters)
 * and tuned recall, through @pgcluster/vector's `listCollections` and `describeCollection` (what
 * `vector-index status` reads). Never throws: an unreachable cluster is reported in `error`.
 *
 * @example
 * ```ts
 * const v = await readVectorCollections(loadConfig().config, { benchmarks: rollup.benchmarks() })
 * v.collections.map((c) => `${c.name}: ${c.rows} rows, recall ${c.tuned.recall}`)
 * ```
 */
export async function readVectorCollections(config: ClusterConfig, options: ReadVectorOptions = {}): Promise<VectorNow> {
  const at = new Date().toISOString();
  const database = options.database ?? config.databases['project'];
  let db;
  try {
    db = await openVectorDb({ cluster: config, ...(database ? { database } : {}), poolSize: 2 });
  } catch (error) {
    return { at, database: database ?? null, collections: [], error: messageOf(error) };
  }
  try {
    const summaries = await listCollections(db);
    const collections = await Promise.all(
      summaries.map(async (summary): Promise<CollectionNow> => {
        const d = await describeCollection(db, summary.name);
        return {
          name: d.name,
          schema: d.schema,
          dimension: d.dimension,
          type: d.type,
          metric: d.metric,
          rows: d.rows,
          sizeBytes: d.sizeBytes,
          indexes: d.indexes.map((ix) => ({ name: ix.name, method: ix.method, valid: ix.valid, sizeBytes: ix.sizeBytes, params: ix.params })),
          tuned: { efSearch: d.defaultEfSearch, recall: d.tunedRecall, k: d.tunedK, at: d.tunedAt },
          lastBenchmark: options.benchmarks?.[d.name] ?? null,
        };
      }),
    );
    // Security: recorded benchmark inputs were redacted when audited; redact again before they leave.
    return redactSecrets({ at, database: database ?? null, collections, error: null });
  } catch (error) {
    return { at, database: database ?? null, collections: [], error: messageOf(error) };
  } finally {
    await db.close();
  }
}

function messageOf(error: unknown): string {
  return redactUrl(error instanceof Error ? error.message : String(error));
}
