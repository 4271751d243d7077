/** The runtime API of @pgcluster/skill-kit, loaded on first use (see {@link skillKit}). */
export type SkillKit = typeof import('@pgcluster/skill-kit');

/**
 * Requires @pgcluster/skill-kit when a command needs it, so `pgcluster --help` and
 * `skills list` do not pay for the executor, renderers and their dependencies.
 *
 * @example
 * ```ts
 * const { executeSkill, exitCodeFor } = skillKit()
 * ```
 */
export function skillKit(): SkillKit {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@pgcluster/skill-kit') as SkillKit;
}
