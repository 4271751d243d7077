import { z } from 'zod';
import type { SkillReference } from './skill-meta';

/**
 * The zod schema of a {@link SkillReference}, for output schemas whose data carries references
 * (a finding's recommendation, a log category's next step): the same `{ skill, input, why?,
 * planned? }` that recommendations, decision trees and examples use, so the manifest describes
 * one shape everywhere.
 *
 * @example
 * ```ts
 * const Finding = z.object({ message: z.string(), recommendation: SkillReferenceSchema.describe('The skill that fixes it.') })
 * ```
 */
export const SkillReferenceSchema = z.object({
  skill: z
    .string()
    .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)+$/)
    .describe('The skill to run, e.g. vector-index.'),
  input: z.record(z.string(), z.unknown()).describe("Its input, valid against the skill's input schema."),
  why: z.string().optional().describe('Why to run it, in a sentence.'),
  planned: z.boolean().optional().describe('The skill is not built yet: the reference says what is coming.'),
}) satisfies z.ZodType<SkillReference>;
