import { z } from 'zod';

/**
 * A typed reference to a skill run, `{ skill, input, why? }`: the shape of monitoring's
 * recommendations, used here for decision trees and recommendations. Kept local (the same shape
 * as monitoring's) so it can be swapped for skill-kit's typed reference.
 * @example
 * ```ts
 * SkillReference.parse({ skill: 'maintenance-analyze', input: { table: 'public.items' }, why: 'statistics are stale' })
 * ```
 */
export const SkillReference = z.object({
  skill: z.string().regex(/^[a-z]+-[a-z-]+$/).describe('The skill to run, e.g. maintenance-analyze.'),
  input: z.record(z.string(), z.unknown()).describe("Its input, valid against the skill's input schema."),
  why: z.string().optional().describe('Why this skill, in a sentence.'),
});
/** A typed reference to a skill run. */
export type SkillReference = z.infer<typeof SkillReference>;
