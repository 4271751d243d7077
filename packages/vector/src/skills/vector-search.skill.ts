import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { z } from 'zod';
import { getCollection } from '../collection/get-collection';
import { toPlanSteps } from '../collection/sql-statement';
import { searchStatements } from '../search/search-query';
import { READ_FROM, searchVectors } from '../search/search-vectors';
import { withSkillDb } from './open-skill-db';

/** Input of `vector-search`. */
export const VectorSearchInput = z.object({
  collection: z.string().describe('The collection to search (lower-case letters, digits and _).'),
  // Audit: the embedding is recorded as its length and sha256 (a 1,536-float vector would be ~30 KB per search).
  vector: z.array(z.number()).min(1).meta({ audit: 'digest' }).describe('The query embedding; its length must be the collection\'s dimension.'),
  k: z.number().int().min(1).max(1000).default(10).describe('How many nearest neighbours to return.'),
  namespace: z.string().max(512).optional().describe('Only rows of this namespace.'),
  filter: z.record(z.string(), z.unknown()).optional().describe('Only rows whose metadata contains this JSON object (metadata @> filter), e.g. {"lang":"en"}.'),
  minSimilarity: z.number().optional().describe('Drop matches below this similarity (cosine 1-d, inner product, L2 1/(1+d)).'),
  efSearch: z.number().int().min(1).max(1000).optional().describe("hnsw.ef_search for this query; default the collection's tuned/profile default, else 40."),
  probes: z.number().int().min(1).max(32768).optional().describe('ivfflat.probes for this query (IVFFlat indexes only).'),
  readFrom: z.enum(READ_FROM).default('replica').describe('replica (default; the primary when there is none) or primary for read-your-writes.'),
  database: z.string().optional().describe('A database name or a name from the config\'s databases (e.g. project); default the node URL\'s.'),
});
/** Input of `vector-search`. */
export type VectorSearchInput = z.infer<typeof VectorSearchInput>;

/** Output of `vector-search`. */
export const VectorSearchOutput = z.object({
  collection: z.string().describe('The collection searched.'),
  k: z.number().describe('How many neighbours were asked for.'),
  efSearch: z.number().describe('The hnsw.ef_search used (SET LOCAL in the query\'s transaction).'),
  iterativeScan: z.enum(['off', 'relaxed_order']).describe('relaxed_order when a filter or namespace was given, so k rows still come back.'),
  node: z.string().describe('The node that answered, host:port/db.'),
  durationMs: z.number().describe('Time of the search transaction in milliseconds.'),
  matches: z
    .array(
      z.object({
        key: z.string().describe('The row\'s key.'),
        namespace: z.string().describe('The row\'s namespace.'),
        distance: z.number().describe('pgvector distance for the metric (inner product: its negative).'),
        similarity: z.number().describe('Higher is closer.'),
        metadata: z.record(z.string(), z.unknown()).describe('The row\'s metadata.'),
      }),
    )
    .describe('Nearest first.'),
});
/** Output of `vector-search`. */
export type VectorSearchOutput = z.infer<typeof VectorSearchOutput>;

/**
 * `vector-search`: top-k similarity search with metadata filter, namespace and minimum
 * similarity, from a replica by default. Read-only.
 *
 * @example
 * ```ts
 * await executeSkill(VectorSearchSkill, { collection: 'docs', vector: q, k: 5 })
 * ```
 */
export class VectorSearchSkill {
  @Skill({
    name: 'vector-search',
    category: 'vector',
    description:
      'Finds the k nearest neighbours of an embedding in a pgvector collection, optionally within a namespace, a metadata filter or a minimum similarity. ' +
      'Use for semantic search, RAG retrieval or checks.',
    details:
      'Finds the k nearest neighbours of an embedding in a pgvector collection by the collection\'s metric (cosine, L2 or ' +
      'inner product), optionally only within a namespace, only rows whose metadata contains a JSON filter, and above a ' +
      'minimum similarity. Sets hnsw.ef_search (the collection\'s tuned default unless given) and, for filtered queries, ' +
      'pgvector\'s iterative index scan with SET LOCAL inside the query\'s own transaction, so a selective filter still ' +
      'returns k rows. Reads from a replica when the cluster has one (readFrom primary for read-your-writes). Returns keys, ' +
      'distances, similarities and metadata. Read-only.',
    version: '1.0.0',
    risk: 'read',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'the user asks for documents or items similar to an embedding',
      'retrieval for RAG: the k most relevant chunks, optionally filtered by metadata',
      'checking what a collection returns after an insert (use readFrom primary right after writing)',
    ],
    interpret:
      'matches are nearest first; similarity is 1 - cosine distance for cosine (1 = identical), the inner product for inner_product, ' +
      'and 1/(1+distance) for l2. Fewer than k matches means the filter, namespace or minSimilarity left fewer rows. efSearch shows the ' +
      'candidate list used; node shows which server answered (a replica may lag the primary by a moment).',
    decisionTree: [
      { when: 'results look wrong or recall is poor', skill: 'vector-index', input: { action: 'tune', collection: '<collection>', targetRecall: 0.95 } },
      { when: 'searches are slow and the collection has no index', skill: 'vector-index', input: { action: 'create', collection: '<collection>', profile: 'balanced' } },
      { when: 'a row just written is missing', skill: 'vector-search', input: { collection: '<collection>', vector: '<vector>', readFrom: 'primary' }, why: 'replicas may lag behind the write' },
    ],
    examples: [
      { title: 'Ten nearest neighbours as JSON', skill: 'vector-search', input: { collection: 'docs', vector: [0.1, 0.2, 0.3] }, options: { format: 'json' } },
      { title: 'Filtered by metadata within a namespace', skill: 'vector-search', input: { collection: 'docs', vector: [0.1, 0.2, 0.3], filter: { lang: 'en' }, namespace: 'tenant1', k: 5 } },
      { title: 'Read-your-writes from the primary with a higher ef_search', skill: 'vector-search', input: { collection: 'docs', vector: [0.1, 0.2, 0.3], readFrom: 'primary', efSearch: 200 } },
    ],
    metrics: [
      { name: 'pgcluster_vector_search_duration_seconds', help: 'Time of the search transaction.', value: 'durationMs', scale: 0.001, labels: { collection: 'collection' } },
      { name: 'pgcluster_vector_search_ef_search', help: 'The hnsw.ef_search the search used.', value: 'efSearch', labels: { collection: 'collection' } },
      { name: 'pgcluster_vector_search_neighbours', help: 'How many neighbours were asked for (k).', value: 'k', labels: { collection: 'collection' } },
    ],
    input: VectorSearchInput,
    output: VectorSearchOutput,
  })
  static async run(ctx: SkillContext, input: VectorSearchInput): Promise<SkillResult<VectorSearchOutput>> {
    const r = await withSkillDb(ctx, input.database, (db) => searchVectors(db, input));
    const alerts = r.matches.length < input.k ? [`only ${r.matches.length} of ${input.k} matches (filter, namespace or minSimilarity)`] : [];
    return { data: r, alerts };
  }

  /** The statements a search runs (it reads the collection's shape first). */
  static async plan(ctx: SkillContext, input: VectorSearchInput): Promise<PlanStep[]> {
    return withSkillDb(ctx, input.database, async (db) => {
      const info = await getCollection(db, input.collection);
      const s = searchStatements(info, input);
      const target = input.readFrom === 'primary' || db.replicas.length === 0 ? db.primaryLabel : `a replica (${db.replicaLabels.join(' | ')})`;
      return [
        ...toPlanSteps(target, [s.settings, { text: s.query.text, values: ['<the query vector, binary>', ...(s.query.values ?? []).slice(1)] }]),
        { kind: 'note' as const, target, text: `both in one round trip before one Sync (one implicit transaction, so the settings are local to it); the query as prepared statement ${s.query.name}` },
      ];
    });
  }
}
