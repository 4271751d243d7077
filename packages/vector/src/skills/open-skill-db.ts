import type { SkillContext } from '@pgcluster/skill-kit';
import { openVectorDb, type VectorDb } from '../connection/vector-db';

/**
 * Opens a {@link VectorDb} on the skill's cluster (roles discovered from the config's nodes),
 * runs `fn`, and always closes it.
 *
 * @example
 * ```ts
 * return withSkillDb(ctx, input.database, (db) => searchVectors(db, input))
 * ```
 */
export async function withSkillDb<T>(ctx: SkillContext, database: string | undefined, fn: (db: VectorDb) => Promise<T>, poolSize = 10): Promise<T> {
  const db = await openVectorDb({ cluster: ctx.loaded.config, ...(database ? { database } : {}), poolSize });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
