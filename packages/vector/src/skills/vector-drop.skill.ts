import { Skill, type PlanStep, type RollbackSpec, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { z } from 'zod';
import { dropCollection, dropCollectionStatements } from '../collection/drop-collection';
import { collectionExists } from '../collection/get-collection';
import { toPlanSteps } from '../collection/sql-statement';
import { dropIndex, dropIndexStatements, indexToDrop } from '../index/drop-index';
import { indexStatus } from '../index/index-status';
import { withSkillDb } from './open-skill-db';

/** What `vector-drop` drops. */
export const DROP_TARGETS = ['index', 'collection'] as const;

/** Input of `vector-drop`. */
export const VectorDropInput = z.object({
  target: z.enum(DROP_TARGETS).describe('index (DROP INDEX CONCURRENTLY; undoable) or collection (DROP TABLE with all its rows; not undoable).'),
  collection: z.string().describe('The collection.'),
  index: z.string().optional().describe('index: which one, when the collection has several vector indexes.'),
  database: z.string().optional().describe('A database name or a name from the config\'s databases; default the node URL\'s.'),
});
/** Input of `vector-drop`. */
export type VectorDropInput = z.infer<typeof VectorDropInput>;

/** Output of `vector-drop`. */
export const VectorDropOutput = z.object({
  target: z.enum(DROP_TARGETS).describe('What was dropped.'),
  collection: z.string().describe('The collection.'),
  dropped: z.boolean().describe('False when there was nothing to drop.'),
  index: z.string().nullable().describe('The dropped index.'),
  definition: z.string().nullable().describe('The dropped index\'s CREATE INDEX statement (to recreate it).'),
});
/** Output of `vector-drop`. */
export type VectorDropOutput = z.infer<typeof VectorDropOutput>;

/**
 * `vector-drop`: drops a vector index or a whole collection; destructive, so the executor asks
 * for confirmation. A dropped index comes back through the rollback (vector-index create with
 * the same method and parameters).
 *
 * @example
 * ```ts
 * await executeSkill(VectorDropSkill, { target: 'index', collection: 'docs' }, { yes: true })
 * ```
 */
export class VectorDropSkill {
  @Skill({
    name: 'vector-drop',
    category: 'vector',
    description:
      'Drops a pgvector index (undoable) or a whole collection (not undoable); needs confirmation. ' +
      'Use when an index must be rebuilt with other build parameters or a collection is no longer needed.',
    details:
      'Drops a vector index (DROP INDEX CONCURRENTLY, so reads and writes go on) or a whole pgvector collection (its table ' +
      'and every row, and its catalogue entry). Destructive: it refuses to run without confirmation (--yes) and shows its ' +
      'plan first. Dropping an index records its definition and a rollback that builds it again with the same parameters; ' +
      'dropping a collection cannot be undone.',
    version: '1.0.0',
    risk: 'destructive',
    autonomous: false,
    requiresConfirmation: true,
    idempotent: true,
    whenToUse: [
      'an HNSW index needs other build parameters (profiles change m and ef_construction only at build time)',
      'a collection is obsolete and the user asked to delete it',
    ],
    interpret: 'dropped false means there was nothing to drop. definition holds the dropped index\'s CREATE INDEX statement; the rollback recreates it.',
    decisionTree: [{ when: 'an index was dropped to change its profile', skill: 'vector-index', input: { action: 'create', collection: '<collection>', profile: 'accuracy' } }],
    examples: [
      { title: 'See what dropping the index would do', skill: 'vector-drop', input: { target: 'index', collection: 'docs' }, options: { dryRun: true } },
      { title: 'Drop the collection\'s index', skill: 'vector-drop', input: { target: 'index', collection: 'docs' }, options: { yes: true } },
      { title: 'Delete a collection and its data', skill: 'vector-drop', input: { target: 'collection', collection: 'old_docs' }, options: { yes: true } },
    ],
    input: VectorDropInput,
    output: VectorDropOutput,
  })
  static async run(ctx: SkillContext, input: VectorDropInput): Promise<SkillResult<VectorDropOutput>> {
    return withSkillDb(ctx, input.database, async (db) => {
      // Removing what is already gone succeeds with dropped: false (the skill is idempotent).
      if (input.target === 'collection') {
        const r = await dropCollection(db, input.collection, { ifExists: true });
        return {
          data: { target: 'collection', collection: input.collection, dropped: r.dropped, index: null, definition: null },
          alerts: r.dropped ? [`collection ${input.collection} and its rows were dropped; this cannot be undone`] : [],
        };
      }
      if (!(await collectionExists(db, input.collection))) {
        return { data: { target: 'index', collection: input.collection, dropped: false, index: null, definition: null } };
      }
      const before = await indexStatus(db, { collection: input.collection });
      const r = await dropIndex(db, { collection: input.collection, ...(input.index ? { index: input.index } : {}) });
      const dropped = before.indexes.find((i) => i.name === r.index);
      let rollback: RollbackSpec | undefined;
      if (r.dropped && dropped) {
        rollback = {
          skill: 'vector-index',
          input: { action: 'create', collection: input.collection, method: dropped.method, index: dropped.name, ...dropped.params.m !== undefined ? { m: dropped.params['m'], efConstruction: dropped.params['ef_construction'] } : {}, ...(dropped.params['lists'] !== undefined ? { lists: dropped.params['lists'] } : {}) },
          why: `recreate ${dropped.name}: ${dropped.definition}`,
        };
      }
      return {
        data: { target: 'index', collection: input.collection, dropped: r.dropped, index: r.dropped ? r.index : null, definition: r.definition },
        ...(rollback ? { rollback } : {}),
      };
    });
  }

  /** The DROP statement(s); reads the catalogue to name the index. */
  static async plan(ctx: SkillContext, input: VectorDropInput): Promise<PlanStep[]> {
    return withSkillDb(ctx, input.database, async (db) => {
      const nothing = (what: string): PlanStep[] => [{ kind: 'note', target: db.primaryLabel, text: `nothing to drop: ${what}; the run reports dropped false` }];
      if (!(await collectionExists(db, input.collection))) return nothing(`there is no collection ${input.collection}`);
      if (input.target === 'collection') return toPlanSteps(db.primaryLabel, [{ text: 'BEGIN' }, ...dropCollectionStatements(db.schema, input.collection), { text: 'COMMIT' }]);
      const s = await indexStatus(db, { collection: input.collection });
      const i = await indexToDrop(db, s.indexes, input.index, input.collection);
      if (!i) return nothing(input.index ? `${input.collection} has no index ${input.index}` : `${input.collection} has no vector index`);
      return [...toPlanSteps(db.primaryLabel, dropIndexStatements(db.schema, i.name)), { kind: 'note', target: db.primaryLabel, text: `rollback: ${i.definition}` }];
    });
  }
}
