import type { SkillContext } from '@pgcluster/skill-kit';
import { openVectorDb, type VectorDb } from '../connection/vector-db';

/**
 * The run's {@link VectorDb} on the skill's cluster for `database`: opened the first time the
 * run asks for it (its plan or its run), on the run's shared topology (`ctx.resources`), and
 * closed by the executor when the run ends — a plan and the run that follows share one handle
 * and one resolution of the node roles.
 *
 * @example
 * ```ts
 * const db = await skillDb(ctx, input.database)
 * return { data: await listCollections(db) }
 * ```
 */
export function skillDb(ctx: SkillContext, database: string | undefined, poolSize = 10): Promise<VectorDb> {
  return ctx.resources.use(
    `vector-db:${database ?? ''}:${poolSize}`,
    () => openVectorDb({ cluster: ctx.loaded.config, provider: ctx.resources.topology, ...(database ? { database } : {}), poolSize }),
    (db) => db.close(),
  );
}

/**
 * Runs `fn` with the run's {@link VectorDb} (see {@link skillDb}); the executor closes it.
 *
 * @example
 * ```ts
 * return withSkillDb(ctx, input.database, (db) => searchVectors(db, input))
 * ```
 */
export async function withSkillDb<T>(ctx: SkillContext, database: string | undefined, fn: (db: VectorDb) => Promise<T>, poolSize = 10): Promise<T> {
  return fn(await skillDb(ctx, database, poolSize));
}
