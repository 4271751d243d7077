import { PgClusterError } from '@pgcluster/core';
import { getSkillMeta, type DecoratedSkillClass } from './skill';
import type { SkillClass, SkillMeta } from './skill-meta';

/** One registered skill: its metadata and its class. */
export interface RegisteredSkill {
  meta: SkillMeta;
  skillClass: SkillClass;
}

/**
 * A fixed set of skills, looked up by name (the CLI, the MCP server and undo use one).
 * @example
 * ```ts
 * for (const { meta } of registry.skills) console.error(meta.name, meta.risk)
 * ```
 */
export interface SkillRegistry {
  /** Every skill, sorted by name. */
  readonly skills: readonly RegisteredSkill[];
  /** The skill class with this name, or undefined; fits `ExecuteOptions.resolveSkill`. */
  resolve(name: string): SkillClass | undefined;
}

/**
 * Builds a registry from skill classes. A value, not a module-level singleton: each entry
 * point builds its own from the classes it imports.
 *
 * @throws PgClusterError (`INTERNAL`) when a class has no `@Skill`, or two share a name.
 * @example
 * ```ts
 * const registry = createSkillRegistry([ClusterStatusSkill, VectorSearchSkill])
 * await executeSkill(registry.resolve('cluster-status')!, {}, { resolveSkill: registry.resolve })
 * ```
 */
export function createSkillRegistry(classes: Iterable<SkillClass | DecoratedSkillClass>): SkillRegistry {
  const byName = new Map<string, RegisteredSkill>();
  for (const skillClass of classes) {
    const meta = getSkillMeta(skillClass);
    const existing = byName.get(meta.name);
    if (existing && existing.skillClass !== skillClass) {
      throw new PgClusterError('INTERNAL', `two classes declare the skill "${meta.name}"`);
    }
    byName.set(meta.name, { meta, skillClass });
  }
  const skills = [...byName.values()].sort((a, b) => a.meta.name.localeCompare(b.meta.name));
  return { skills, resolve: (name) => byName.get(name)?.skillClass };
}
