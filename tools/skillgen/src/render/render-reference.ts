import { referenceCommand, type SkillExample } from '@pgcluster/skill-kit';

/**
 * A skill's examples as `{ title, command }`, the command rendered from each reference.
 *
 * @example
 * ```ts
 * exampleCommands(skill)[0] // { title: 'Check the cluster', command: 'pgcluster cluster-status --format json' }
 * ```
 */
export function exampleCommands(skill: { examples: readonly SkillExample[] }): { title: string; command: string }[] {
  return skill.examples.map((example) => ({ title: example.title, command: referenceCommand(example, example.options) }));
}
