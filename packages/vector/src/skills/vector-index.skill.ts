import { InputError } from '@pgcluster/core';
import { actionInput, Skill, type ActionInput, type RollbackSpec, type SkillActions } from '@pgcluster/skill-kit';
import { z } from 'zod';
import { checkCollectionSpec, createCollection, createCollectionStatements } from '../collection/create-collection';
import { describeCollection, listCollections } from '../collection/describe-collection';
import { getCollection } from '../collection/get-collection';
import { METRICS, VECTOR_TYPES } from '../collection/metric';
import { toPlanSteps } from '../collection/sql-statement';
import { createIndex, indexBuildFacts, planIndexBuild } from '../index/create-index';
import { resolveIndex } from '../index/drop-index';
import { INDEX_METHODS, INDEX_PROFILE_NAMES } from '../index/index-profiles';
import { indexStatus } from '../index/index-status';
import { checkRebuildLists, findQualifiedIndex, rebuildIndex, rebuildIndexStatements, rebuildQualifiedIndex } from '../index/rebuild-index';
import { tuneEfSearch } from '../index/tune-ef-search';
import { skillDb } from './open-skill-db';

/** Actions of `vector-index`; one tuple yields the schema and the CLI choices. */
export const VECTOR_INDEX_ACTIONS = ['create', 'rebuild', 'status', 'tune', 'create-collection', 'list', 'describe'] as const;

const Database = { database: z.string().optional().describe('A database name or a name from the config\'s databases; default the node URL\'s.') };
const Collection = z.string().describe('The collection.');
const Build = {
  maintenanceWorkMem: z.string().regex(/^[1-9][0-9]{0,6}(kB|MB|GB)$/).optional().describe('maintenance_work_mem for the build, e.g. 1GB; default sized from the table.'),
  parallelWorkers: z.number().int().min(0).max(64).optional().describe('max_parallel_maintenance_workers for the build; default 2 at most.'),
};

/** Input of `vector-index`: each action with its own fields (see the SKILL.md's fields per action). */
export const VectorIndexInput = actionInput(
  {
    create: z.object({
      collection: Collection,
      method: z.enum(INDEX_METHODS).default('hnsw').describe('hnsw (default) or ivfflat.'),
      profile: z.enum(INDEX_PROFILE_NAMES).optional().describe('Profile of an HNSW index: accuracy (m 32, ef_construction 400, ef_search 400), balanced (24/200/200, default) or speed (16/100/50).'),
      m: z.number().int().min(2).max(100).optional().describe('Links per node of an HNSW index, overrides the profile; applies only at build time.'),
      efConstruction: z.number().int().min(4).max(1000).optional().describe('Build candidate list of an HNSW index, overrides the profile; applies only at build time.'),
      lists: z.number().int().min(1).max(32768).optional().describe('Number of lists of an IVFFlat index; default rows/1000 (sqrt(rows) above 1M).'),
      index: z.string().optional().describe('The index name (default <collection>_embedding_<method>).'),
      ...Build,
      ...Database,
    }),
    rebuild: z
      .object({
        collection: Collection.optional(),
        index: z.string().optional().describe('Which index when there are several, or schema.index for any vector index (no collection needed).'),
        lists: z.number().int().min(1).max(32768).optional().describe('IVFFlat only: the lists to rebuild it with (e.g. what monitoring-health recommends); default unchanged.'),
        ...Build,
        ...Database,
      })
      .superRefine((input, ctx) => {
        // Security: what the rebuild acts on is named: a catalogued collection, or a schema-qualified index.
        if (input.collection === undefined && !input.index?.includes('.')) {
          ctx.addIssue({ code: 'custom', path: ['collection'], message: 'is required for action rebuild, unless --index names a schema-qualified index (schema.index)' });
        }
      }),
    status: z.object({ collection: Collection, ...Database }),
    tune: z.object({
      collection: Collection,
      targetRecall: z.number().gt(0).max(1).describe('The recall@k to reach, e.g. 0.95.'),
      k: z.number().int().min(1).max(1000).default(10).describe('k of recall@k.'),
      sampleSize: z.number().int().min(1).max(10000).default(100).describe('Number of sample queries, each drawn from a stored row\'s neighbourhood (like new queries).'),
      ...Database,
    }),
    'create-collection': z.object({
      collection: Collection,
      dimension: z.number().int().min(1).max(4000).describe('Dimensions of every embedding (≤ 2000 for vector, ≤ 4000 for halfvec).'),
      type: z.enum(VECTOR_TYPES).default('vector').describe('vector (float4) or halfvec (float2).'),
      metric: z.enum(METRICS).default('cosine').describe('cosine, l2 or inner_product; fixed at creation.'),
      ...Database,
    }),
    list: z.object({ ...Database }),
    describe: z.object({ collection: Collection, ...Database }),
  },
  { describe: 'create | rebuild | status | tune an index; create-collection | list | describe collections.' },
);
/** Input of `vector-index`: one of its actions' inputs. */
export type VectorIndexInput = ActionInput<typeof VectorIndexInput>;

const IndexItem = z.object({
  name: z.string().describe('Index name.'),
  method: z.string().describe('hnsw or ivfflat.'),
  valid: z.boolean().describe('False while a concurrent build runs or after one failed.'),
  sizeBytes: z.number().describe('Size on disk.'),
  definition: z.string().describe('CREATE INDEX statement that recreates it.'),
  params: z.record(z.string(), z.number()).describe('Build parameters (m, ef_construction, lists).'),
});
const CollectionItem = z.object({
  name: z.string().describe('Collection name.'),
  dimension: z.number().describe('Dimensions.'),
  type: z.enum(VECTOR_TYPES).describe('vector or halfvec.'),
  metric: z.enum(METRICS).describe('Distance metric.'),
  defaultEfSearch: z.number().nullable().describe('ef_search searches use by default (profile or tune).'),
  tunedRecall: z.number().nullable().describe('recall@k measured by tune for the default.'),
  rows: z.number().describe('Planner row estimate.'),
  sizeBytes: z.number().describe('Table size with indexes.'),
});

/** Output of `vector-index`. */
export const VectorIndexOutput = z.object({
  action: z.enum(VECTOR_INDEX_ACTIONS).describe('The action run.'),
  collection: z.string().nullable().describe('The collection acted on.'),
  build: z
    .object({
      index: z.string().describe('Index name.'),
      method: z.string().describe('hnsw or ivfflat.'),
      profile: z.string().nullable().describe('The profile used, if any.'),
      params: z.record(z.string(), z.number()).describe('Build parameters.'),
      created: z.boolean().describe('False when it already existed.'),
      durationMs: z.number().describe('Build time.'),
      sizeBytes: z.number().describe('Index size.'),
      maintenanceWorkMem: z.string().describe('maintenance_work_mem used for the build.'),
      parallelWorkers: z.number().describe('max_parallel_maintenance_workers used for the build.'),
      defaultEfSearch: z.number().nullable().describe('ef_search stored as the collection default.'),
      notes: z.array(z.string()).describe('Why the settings were chosen; the build-time rule.'),
    })
    .optional()
    .describe('create and rebuild: what was built.'),
  indexes: z.array(IndexItem).optional().describe('status/describe: the vector indexes.'),
  builds: z
    .array(z.object({ pid: z.number(), index: z.string().nullable(), phase: z.string(), fraction: z.number().nullable() }).describe('A running build.'))
    .optional()
    .describe('status: running builds from pg_stat_progress_create_index.'),
  tune: z
    .object({
      efSearch: z.number().describe('Smallest ef_search that reached the target.'),
      recall: z.number().describe('recall@k reached (mean over the sample).'),
      recallLowerBound: z.number().describe('One-sided 95% lower confidence bound on that recall: what the choice promises for new queries; it must reach the target.'),
      reached: z.boolean().describe('Whether the target was reached.'),
      stored: z.boolean().describe('Stored as the collection default.'),
      previousEfSearch: z.number().nullable().describe('The default before tuning.'),
      sampleSize: z.number().describe('Sample queries used.'),
      curve: z.array(z.object({ efSearch: z.number(), recall: z.number(), recallLowerBound: z.number(), meanLatencyMs: z.number() })).describe('Measured points.'),
    })
    .optional()
    .describe('tune: the result.'),
  collections: z.array(CollectionItem).optional().describe('list/create-collection/describe: collections.'),
});
/** Output of `vector-index`. */
export type VectorIndexOutput = z.infer<typeof VectorIndexOutput>;

/** The `database` of the input, carried into a recommended follow-up so it acts on the same database. */
function sameDatabase(input: { database?: string | undefined }): { database?: string } {
  return input.database === undefined ? {} : { database: input.database };
}

/** The build settings given, as the index functions take them. */
function buildSettings(input: { maintenanceWorkMem?: string | undefined; parallelWorkers?: number | undefined }): { maintenanceWorkMem?: string; parallelWorkers?: number } {
  return {
    ...(input.maintenanceWorkMem ? { maintenanceWorkMem: input.maintenanceWorkMem } : {}),
    ...(input.parallelWorkers !== undefined ? { parallelWorkers: input.parallelWorkers } : {}),
  };
}

/** What `create` asks of the index functions. */
function createOptions(input: ActionInput<typeof VectorIndexInput, 'create'>) {
  return {
    collection: input.collection,
    method: input.method,
    ...(input.profile ? { profile: input.profile } : {}),
    ...(input.m !== undefined ? { m: input.m } : {}),
    ...(input.efConstruction !== undefined ? { efConstruction: input.efConstruction } : {}),
    ...(input.lists !== undefined ? { lists: input.lists } : {}),
    ...(input.index ? { name: input.index } : {}),
    ...buildSettings(input),
  };
}

/**
 * What a rebuild acts on: a catalogued collection (and which of its indexes), or, without a
 * collection, the schema-qualified index the action's schema then requires.
 */
function rebuildTarget(input: ActionInput<typeof VectorIndexInput, 'rebuild'>): { collection: string } | { qualified: string } {
  return input.collection !== undefined ? { collection: input.collection } : { qualified: input.index ?? '' };
}

const READS_ONLY = 'reads pg_class, pg_index, pg_stat_progress_create_index and pgcluster.vector_collections; it changes nothing';

/**
 * `vector-index`: HNSW/IVFFlat index create, rebuild, status and tune, plus collection create,
 * list and describe. Drops live in the separate `vector-drop` skill, which requires confirmation.
 *
 * @example
 * ```ts
 * await executeSkill(VectorIndexSkill, { action: 'tune', collection: 'docs', targetRecall: 0.95 })
 * ```
 */
export class VectorIndexSkill {
  @Skill({
    name: 'vector-index',
    category: 'vector',
    description:
      'Creates and describes pgvector collections; creates, rebuilds, inspects and tunes HNSW or IVFFlat indexes. ' +
      'Use when vector search is slow or inaccurate, after a bulk load, or for a new collection.',
    details:
      'Manages pgvector collections and their indexes. Index actions: create an HNSW (profiles accuracy 32/400/400, balanced ' +
      '24/200/200, speed 16/100/50 for m/ef_construction/ef_search) or IVFFlat index CONCURRENTLY with maintenance_work_mem ' +
      'and parallel workers set and reported; rebuild it with REINDEX CONCURRENTLY; status (size, validity, parameters, build ' +
      'progress); tune: the smallest ef_search whose 95% lower confidence bound on recall@k reaches the target, measured against ' +
      'exact answers on sample queries drawn from stored rows\' neighbourhoods (like new queries), stored as the default. m and ' +
      'ef_construction apply only when an index is built. Collection actions: create-collection (dimension, vector or ' +
      'halfvec, metric), list, describe. Nothing here destroys data: dropping an index or a collection is the separate ' +
      'vector-drop skill, which requires confirmation (kept apart so that these actions need none).',
    version: '1.0.0',
    risk: 'write',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'a new collection is needed before inserting vectors',
      'searches are slow: the collection has no vector index',
      'recall is too low or queries too slow: tune ef_search to a target recall',
      'an index is invalid after a failed build, or bloated after many updates: rebuild',
      'to see collections, their sizes, indexes and tuned defaults',
    ],
    interpret:
      'build.notes say which maintenance_work_mem and parallel workers were used and why; build.defaultEfSearch is stored for searches. ' +
      'status: valid false means a build is running (see builds[].fraction) or failed (rebuild it). tune: reached false means even the ' +
      'largest ef_search tried missed the target (build with a stronger profile: vector-drop the index, then create with accuracy).',
    decisionTree: [
      { when: 'an index is invalid and no build is running', skill: 'vector-index', input: { action: 'rebuild', collection: '<collection>' } },
      { when: 'tune did not reach the target', skill: 'vector-drop', input: { target: 'index', collection: '<collection>' }, why: 'then build it again with vector-index --action create --profile accuracy' },
      { when: 'after create or a large load, to pick ef_search', skill: 'vector-index', input: { action: 'tune', collection: '<collection>', targetRecall: 0.95 } },
      { when: 'to measure QPS and latency at the tuned setting', skill: 'vector-benchmark', input: { collection: '<collection>' } },
    ],
    examples: [
      { title: 'Create a collection', skill: 'vector-index', input: { action: 'create-collection', collection: 'docs', dimension: 384, metric: 'cosine' } },
      { title: 'Build an HNSW index with the balanced profile', skill: 'vector-index', input: { action: 'create', collection: 'docs', profile: 'balanced' } },
      { title: 'Show the statements without running them', skill: 'vector-index', input: { action: 'create', collection: 'docs', profile: 'accuracy' }, options: { dryRun: true } },
      { title: 'Tune ef_search for recall@10 of 0.95', skill: 'vector-index', input: { action: 'tune', collection: 'docs', targetRecall: 0.95 } },
      { title: 'Index status with build progress', skill: 'vector-index', input: { action: 'status', collection: 'docs' }, options: { format: 'json' } },
      { title: 'Rebuild an invalid index that cluster-status reported, on any table', skill: 'vector-index', input: { action: 'rebuild', index: 'public.items_embedding_idx' } },
    ],
    metrics: [
      { name: 'pgcluster_vector_index_size_bytes', help: 'Size of the vector index on disk.', value: 'indexes[].sizeBytes', labels: { collection: 'collection', index: 'indexes[].name' } },
      { name: 'pgcluster_vector_index_valid', help: 'Whether the index is valid (1) or not, while a concurrent build runs or after one failed (0).', value: 'indexes[].valid', labels: { collection: 'collection', index: 'indexes[].name' } },
      { name: 'pgcluster_vector_index_build_duration_seconds', help: 'Time the create or rebuild took.', value: 'build.durationMs', scale: 0.001, labels: { collection: 'collection', index: 'build.index' } },
      { name: 'pgcluster_vector_index_build_progress_ratio', help: 'Progress of a running index build (0 to 1).', value: 'builds[].fraction', labels: { index: 'builds[].index', pid: 'builds[].pid' } },
      { name: 'pgcluster_vector_index_tuned_ef_search', help: 'Smallest hnsw.ef_search that reached the target recall.', value: 'tune.efSearch', labels: { collection: 'collection' } },
      { name: 'pgcluster_vector_index_tuned_recall_ratio', help: 'recall@k reached by the tuned hnsw.ef_search.', value: 'tune.recall', labels: { collection: 'collection' } },
      { name: 'pgcluster_vector_index_tuned_recall_lower_bound_ratio', help: 'One-sided 95% lower confidence bound on that recall@k.', value: 'tune.recallLowerBound', labels: { collection: 'collection' } },
      { name: 'pgcluster_vector_collection_rows', help: "Planner's row estimate of the collection.", value: 'collections[].rows', labels: { collection: 'collections[].name' } },
      { name: 'pgcluster_vector_collection_size_bytes', help: 'Size of the collection with its indexes.', value: 'collections[].sizeBytes', labels: { collection: 'collections[].name' } },
      { name: 'pgcluster_vector_collection_dimensions', help: 'Dimensions of the collection.', value: 'collections[].dimension', labels: { collection: 'collections[].name' } },
    ],
    input: VectorIndexInput,
    output: VectorIndexOutput,
  })
  static readonly actions: SkillActions<typeof VectorIndexInput, VectorIndexOutput> = {
    list: {
      risk: 'read',
      plan: async (ctx, input) => [{ kind: 'note', target: (await skillDb(ctx, input.database)).primaryLabel, text: `list ${READS_ONLY}` }],
      run: async (ctx, input) => ({ data: { action: 'list', collection: null, collections: await listCollections(await skillDb(ctx, input.database)) } }),
    },
    describe: {
      risk: 'read',
      plan: async (ctx, input) => [{ kind: 'note', target: (await skillDb(ctx, input.database)).primaryLabel, text: `describe ${READS_ONLY}` }],
      run: async (ctx, input) => {
        const d = await describeCollection(await skillDb(ctx, input.database), input.collection);
        return { data: { action: 'describe', collection: input.collection, collections: [d], indexes: d.indexes } };
      },
    },
    status: {
      risk: 'read',
      plan: async (ctx, input) => [{ kind: 'note', target: (await skillDb(ctx, input.database)).primaryLabel, text: `status ${READS_ONLY}` }],
      run: async (ctx, input) => {
        const { collection } = input;
        const s = await indexStatus(await skillDb(ctx, input.database), { collection });
        const alerts = s.indexes.filter((i) => !i.valid && s.builds.length === 0).map((i) => `index ${i.name} is invalid and no build is running: rebuild it`);
        return {
          data: { action: 'status', collection, indexes: s.indexes, builds: s.builds.map((b) => ({ pid: b.pid, index: b.index, phase: b.phase, fraction: b.fraction })) },
          status: alerts.length ? 'degraded' : 'ok',
          alerts,
          ...(s.indexes.length === 0 ? { recommendations: [{ why: `${collection} has no vector index`, skill: 'vector-index', input: { action: 'create', collection, ...sameDatabase(input) } }] } : {}),
        };
      },
    },
    'create-collection': {
      plan: async (ctx, input) => {
        const db = await skillDb(ctx, input.database);
        const spec = checkCollectionSpec({ name: input.collection, dimension: input.dimension, type: input.type, metric: input.metric });
        return toPlanSteps(db.primaryLabel, [{ text: 'BEGIN' }, ...createCollectionStatements(db.schema, spec), { text: 'COMMIT' }]);
      },
      run: async (ctx, input) => {
        const { collection } = input;
        const db = await skillDb(ctx, input.database);
        const r = await createCollection(db, { name: collection, dimension: input.dimension, type: input.type, metric: input.metric, ifNotExists: true });
        const d = await describeCollection(db, collection);
        const rollback: RollbackSpec | undefined = r.created
          ? { skill: 'vector-drop', input: { target: 'collection', collection }, why: `drop the new collection ${collection}` }
          : undefined;
        return { data: { action: 'create-collection', collection, collections: [d] }, ...(rollback ? { rollback } : {}), alerts: r.created ? [] : [`${collection} already existed with that shape`] };
      },
    },
    create: {
      plan: async (ctx, input) => {
        const db = await skillDb(ctx, input.database);
        const info = await getCollection(db, input.collection);
        const p = planIndexBuild(info, createOptions(input), await indexBuildFacts(db, info));
        return [...toPlanSteps(db.primaryLabel, p.statements), ...p.notes.map((text) => ({ kind: 'note' as const, target: db.primaryLabel, text }))];
      },
      run: async (ctx, input) => {
        const { collection } = input;
        const r = await createIndex(await skillDb(ctx, input.database), createOptions(input));
        return {
          data: { action: 'create', collection, build: r },
          ...(r.created ? { rollback: { skill: 'vector-drop', input: { target: 'index', collection, index: r.index }, why: `drop the new index ${r.index}` } } : {}),
          recommendations: [{ why: 'pick ef_search for a target recall', skill: 'vector-index', input: { action: 'tune', collection, targetRecall: 0.95, ...sameDatabase(input) } }],
        };
      },
    },
    rebuild: {
      plan: async (ctx, input) => {
        const db = await skillDb(ctx, input.database);
        const settings = [input.maintenanceWorkMem ?? '512MB', input.parallelWorkers ?? 2] as const;
        const target = rebuildTarget(input);
        if ('qualified' in target) {
          const ix = await findQualifiedIndex(db, target.qualified);
          checkRebuildLists(ix, input.lists);
          return toPlanSteps(db.primaryLabel, rebuildIndexStatements(ix.schema, ix.name, ...settings, input.lists));
        }
        const { collection } = target;
        const s = await indexStatus(db, { collection });
        const i = resolveIndex(s.indexes, input.index, collection);
        if (!i) throw new InputError('index', `${collection} has no vector index to rebuild`);
        checkRebuildLists(i, input.lists);
        return toPlanSteps(db.primaryLabel, rebuildIndexStatements(db.schema, i.name, ...settings, input.lists));
      },
      run: async (ctx, input) => {
        const db = await skillDb(ctx, input.database);
        const target = rebuildTarget(input);
        if ('qualified' in target) {
          const r = await rebuildQualifiedIndex(db, { index: target.qualified, ...buildSettings(input), ...(input.lists !== undefined ? { lists: input.lists } : {}) });
          const build = { index: r.index, method: r.before.method, profile: null, params: {}, created: false, durationMs: r.durationMs, sizeBytes: r.sizeBytesAfter, maintenanceWorkMem: r.maintenanceWorkMem, parallelWorkers: r.parallelWorkers, defaultEfSearch: null, notes: [r.note] };
          return { data: { action: 'rebuild', collection: null, build } };
        }
        const { collection } = target;
        const r = await rebuildIndex(db, { collection, ...(input.index ? { index: input.index } : {}), ...buildSettings(input), ...(input.lists !== undefined ? { lists: input.lists } : {}) });
        const s = await indexStatus(db, { collection });
        const i = s.indexes.find((x) => x.name === r.index)!;
        return {
          data: {
            action: 'rebuild',
            collection,
            build: { index: r.index, method: i.method, profile: null, params: i.params, created: false, durationMs: r.durationMs, sizeBytes: r.sizeBytesAfter, maintenanceWorkMem: r.maintenanceWorkMem, parallelWorkers: r.parallelWorkers, defaultEfSearch: null, notes: [r.note] },
            indexes: s.indexes,
          },
        };
      },
    },
    tune: {
      plan: async (ctx, input) => {
        const db = await skillDb(ctx, input.database);
        const info = await getCollection(db, input.collection);
        const target = db.primaryLabel;
        return [
          { kind: 'note', target, text: `sample ${input.sampleSize} stored vectors and draw a query from each one's 200 nearest rows (their mean and covariance); exact top-${input.k} with SET LOCAL enable_indexscan = off; then the same searches at increasing hnsw.ef_search until the 95% lower bound on recall@${input.k} ≥ ${input.targetRecall}` },
          { kind: 'sql', target, text: `UPDATE pgcluster.vector_collections SET default_ef_search = <found>, tuned_recall = <recall>, tuned_k = ${input.k}, tuned_at = now() WHERE schema_name = '${db.schema}' AND name = '${info.name}'` },
        ];
      },
      run: async (ctx, input) => {
        const { collection } = input;
        const db = await skillDb(ctx, input.database);
        const before = await getCollection(db, collection, { fresh: true });
        const label = `tuning ef_search of ${collection}`;
        const onProgress = (done: number, total: number) => ctx.log.progress?.({ label, done, total, unit: 'steps' });
        const t = await tuneEfSearch(db, { collection, targetRecall: input.targetRecall, k: input.k, sampleSize: input.sampleSize, onProgress });
        ctx.log.progress?.({ label, done: 1, total: 1, unit: 'steps' }); // it may stop before the last candidate
        return {
          data: { action: 'tune', collection, tune: { efSearch: t.efSearch, recall: t.recall, recallLowerBound: t.recallLowerBound, reached: t.reached, stored: t.stored, previousEfSearch: before.defaultEfSearch, sampleSize: t.sampleSize, curve: t.curve } },
          status: t.reached ? 'ok' : 'degraded',
          alerts: t.reached ? [] : [`no ef_search up to ${t.efSearch} reached recall ${input.targetRecall} with 95% confidence (best ${t.recall}, lower bound ${t.recallLowerBound})`],
        };
      },
    },
  };
}
