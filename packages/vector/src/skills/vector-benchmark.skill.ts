import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { z } from 'zod';
import { runVectorBenchmark } from '../bench/run-vector-benchmark';
import { READ_FROM } from '../search/search-vectors';
import { withSkillDb } from './open-skill-db';

/** Input of `vector-benchmark`. */
export const VectorBenchmarkInput = z.object({
  collection: z.string().describe('The collection to benchmark (it should have an index).'),
  k: z.number().int().min(1).max(1000).default(10).describe('k of recall@k and of each search.'),
  concurrency: z.number().int().min(1).max(64).default(8).describe('Concurrent clients.'),
  efSearch: z.array(z.number().int().min(1).max(1000)).optional().describe('ef_search values to measure; default 40 and the collection\'s default.'),
  sampleSize: z.number().int().min(1).max(1000).default(50).describe('Sample queries, each a fresh draw from a stored row\'s neighbourhood (like held-out queries).'),
  operations: z.number().int().min(10).max(100000).default(1000).describe('Searches per measured ef_search.'),
  readFrom: z.enum(READ_FROM).default('replica').describe('replica (default) or primary.'),
  database: z.string().optional().describe('A database name or a name from the config\'s databases; default the node URL\'s.'),
});
/** Input of `vector-benchmark`. */
export type VectorBenchmarkInput = z.infer<typeof VectorBenchmarkInput>;

/** Output of `vector-benchmark`. */
export const VectorBenchmarkOutput = z.object({
  collection: z.string().describe('The collection measured.'),
  k: z.number().describe('k of recall@k.'),
  sampleSize: z.number().describe('Sample queries used.'),
  index: z
    .object({
      name: z.string().describe('Index name.'),
      method: z.string().describe('hnsw or ivfflat.'),
      sizeBytes: z.number().describe('Index size.'),
      params: z.record(z.string(), z.number()).describe('Build parameters.'),
    })
    .nullable()
    .describe('The index searched (null: none, every search scans).'),
  points: z
    .array(
      z.object({
        efSearch: z.number().describe('hnsw.ef_search.'),
        recall: z.number().describe('Mean recall@k against exact answers.'),
        qps: z.number().describe('Searches per second at the concurrency.'),
        p50Ms: z.number().describe('Median latency.'),
        p95Ms: z.number().describe('95th percentile latency.'),
        p99Ms: z.number().describe('99th percentile latency.'),
        meanMs: z.number().describe('Mean latency.'),
        concurrency: z.number().describe('Concurrent clients.'),
        operations: z.number().describe('Searches run.'),
        durationMs: z.number().describe('Wall time of the measurement.'),
      }),
    )
    .describe('One point per ef_search.'),
});
/** Output of `vector-benchmark`. */
export type VectorBenchmarkOutput = z.infer<typeof VectorBenchmarkOutput>;

/**
 * `vector-benchmark`: recall@k and QPS/latency per ef_search on a collection. Read-only load.
 *
 * @example
 * ```ts
 * await executeSkill(VectorBenchmarkSkill, { collection: 'docs', efSearch: [40, 100, 200] })
 * ```
 */
export class VectorBenchmarkSkill {
  @Skill({
    name: 'vector-benchmark',
    category: 'vector',
    description:
      'Measures a pgvector collection\'s recall@k, QPS and latency for each hnsw.ef_search value. ' +
      'Use to trade recall against speed, compare ef_search values, or check a collection after tuning or a load.',
    details:
      'Measures a pgvector collection\'s search quality and speed: recall@k against exact answers (computed with index scans ' +
      'disabled) and queries per second with p50/p95/p99 latency at a given concurrency, for each hnsw.ef_search asked for, ' +
      'plus the index\'s size and build parameters. Reads only, but puts real load on the cluster for its duration (about ' +
      'operations ÷ QPS seconds per point).',
    version: '1.0.0',
    risk: 'read',
    autonomous: false,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'the user asks how fast or how accurate vector search is',
      'comparing ef_search values before changing the default',
      'after vector-index tune or a large load, to confirm recall and latency',
    ],
    interpret:
      'Each point: recall (0-1, mean recall@k), qps at the concurrency, and p50/p95/p99 latency in ms. Higher ef_search raises recall ' +
      'and lowers QPS; pick the smallest that meets the recall you need. index null means no index: every search scans the table.',
    decisionTree: [
      { when: 'recall is below what the user needs at every measured ef_search', skill: 'vector-index', input: { action: 'tune', collection: '<collection>', targetRecall: 0.95 } },
      { when: 'index is null', skill: 'vector-index', input: { action: 'create', collection: '<collection>', profile: 'balanced' } },
    ],
    examples: [
      { title: 'Default: ef_search 40 and the collection\'s default, 8 clients', skill: 'vector-benchmark', input: { collection: 'docs' }, options: { format: 'json' } },
      { title: 'Compare three ef_search values', skill: 'vector-benchmark', input: { collection: 'docs', efSearch: [40, 100, 200] } },
    ],
    metrics: [
      { name: 'pgcluster_vector_benchmark_recall_ratio', help: 'Mean recall@k against exact answers, per hnsw.ef_search.', value: 'points[].recall', labels: { collection: 'collection', ef_search: 'points[].efSearch' } },
      { name: 'pgcluster_vector_benchmark_queries_per_second', help: 'Searches per second at the concurrency, per hnsw.ef_search.', value: 'points[].qps', labels: { collection: 'collection', ef_search: 'points[].efSearch' } },
      { name: 'pgcluster_vector_benchmark_latency_p50_seconds', help: 'Median search latency, per hnsw.ef_search.', value: 'points[].p50Ms', scale: 0.001, labels: { collection: 'collection', ef_search: 'points[].efSearch' } },
      { name: 'pgcluster_vector_benchmark_latency_p95_seconds', help: '95th percentile search latency, per hnsw.ef_search.', value: 'points[].p95Ms', scale: 0.001, labels: { collection: 'collection', ef_search: 'points[].efSearch' } },
      { name: 'pgcluster_vector_benchmark_latency_p99_seconds', help: '99th percentile search latency, per hnsw.ef_search.', value: 'points[].p99Ms', scale: 0.001, labels: { collection: 'collection', ef_search: 'points[].efSearch' } },
      { name: 'pgcluster_vector_benchmark_latency_mean_seconds', help: 'Mean search latency, per hnsw.ef_search.', value: 'points[].meanMs', scale: 0.001, labels: { collection: 'collection', ef_search: 'points[].efSearch' } },
      { name: 'pgcluster_vector_benchmark_concurrency', help: 'Concurrent clients of the measurement.', value: 'points[].concurrency', labels: { collection: 'collection', ef_search: 'points[].efSearch' } },
      { name: 'pgcluster_vector_index_size_bytes', help: 'Size of the vector index on disk.', value: 'index.sizeBytes', labels: { collection: 'collection', index: 'index.name' } },
    ],
    input: VectorBenchmarkInput,
    output: VectorBenchmarkOutput,
  })
  static async run(ctx: SkillContext, input: VectorBenchmarkInput): Promise<SkillResult<VectorBenchmarkOutput>> {
    const r = await withSkillDb(
      ctx,
      input.database,
      (db) =>
        runVectorBenchmark(db, {
          collection: input.collection,
          k: input.k,
          concurrency: input.concurrency,
          sampleSize: input.sampleSize,
          operations: input.operations,
          readFrom: input.readFrom,
          ...(input.efSearch ? { efSearch: input.efSearch } : {}),
          onProgress: (done, total) => ctx.log.progress?.({ label: `benchmarking ${input.collection}`, done, total, unit: 'steps' }),
          signal: ctx.signal,
        }),
      Math.max(10, input.concurrency),
    );
    return { data: r, alerts: r.index ? [] : [`${input.collection} has no valid vector index: searches scan the table`] };
  }

  /** A benchmark only reads; the plan says what load it puts on the cluster. */
  static plan(_ctx: SkillContext, input: VectorBenchmarkInput): PlanStep[] {
    return [
      { kind: 'note', target: input.readFrom, text: `sample ${input.sampleSize} stored vectors; exact top-${input.k} of each with index scans disabled (one table scan per query)` },
      { kind: 'note', target: input.readFrom, text: `per ef_search: ${input.operations} searches (set_config(hnsw.ef_search, …, true) and SELECT … ORDER BY embedding <op> $1 LIMIT $2 pipelined in one round trip, one implicit transaction) from ${input.concurrency} clients` },
    ];
  }
}
