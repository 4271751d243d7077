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

/**
 * The envelope's form of a typed reference: the skill and its input as CLI flags
 * (`{ pid: 42, action: 'cancel' }` → `--pid 42 --action cancel`), the why as the message.
 * @example
 * ```ts
 * toRecommendation({ skill: 'maintenance-sessions', input: { pid: 42, action: 'cancel' }, why: 'it blocks 3 sessions' })
 * // { message: 'it blocks 3 sessions', skill: 'maintenance-sessions', args: '--pid 42 --action cancel' }
 * ```
 */
export function toRecommendation(ref: SkillReference): { message: string; skill: string; args?: string } {
  const args = Object.entries(ref.input)
    .map(([k, v]) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${typeof v === 'string' || typeof v === 'number' ? String(v) : `'${JSON.stringify(v)}'`}`)
    .join(' ');
  return { message: ref.why ?? `run ${ref.skill}`, skill: ref.skill, ...(args ? { args } : {}) };
}
