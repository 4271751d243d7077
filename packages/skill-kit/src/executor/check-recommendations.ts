import { getSkillMeta } from '../skill/skill';
import type { Recommendation, SkillClass, SkillLogger } from '../skill/skill-meta';
import { describeInputIssues, inputFieldLabel, nearestName } from './describe-input-issues';

/** How {@link checkRecommendations} treats a recommendation its target would refuse. */
export interface CheckRecommendationsConfig {
  /** Finds a skill by name (the CLI's or the registry's `resolve`); without it nothing is checked. */
  resolveSkill?: ((name: string) => SkillClass | undefined) | undefined;
  /** `drop`: leave it out with a warning (production); `throw`: fail the run (tests). */
  onInvalid: 'drop' | 'throw';
  log: SkillLogger;
}

/**
 * Checks every recommendation that names a skill against that skill's input schema before an
 * envelope carries it: an agent that follows one must not walk into INVALID_INPUT. A target that
 * does not exist yet is kept only when marked `planned`. Each kept recommendation gets an
 * explicit `input` (`{}` when absent).
 *
 * @returns the recommendations to emit, in order.
 * @throws Error naming the recommendation and the problem, when `onInvalid` is `throw`.
 * @example
 * ```ts
 * const recs = checkRecommendations(result.recommendations ?? [], { resolveSkill: registry.resolve, onInvalid: 'drop', log })
 * ```
 */
export function checkRecommendations(recommendations: readonly Recommendation[], config: CheckRecommendationsConfig): Recommendation[] {
  const kept: Recommendation[] = [];
  for (const recommendation of recommendations) {
    if (recommendation.skill === undefined) {
      kept.push(recommendation);
      continue;
    }
    const withInput: Recommendation = { ...recommendation, input: recommendation.input ?? {} };
    const problem = config.resolveSkill ? problemOf(withInput, config.resolveSkill) : undefined;
    if (problem === undefined) {
      kept.push(withInput);
      continue;
    }
    const message = `recommendation "${recommendation.why}" → ${recommendation.skill} ${JSON.stringify(withInput.input)}: ${problem}`;
    if (config.onInvalid === 'throw') throw new Error(message);
    config.log.warn(`left out an invalid ${message}`);
  }
  return kept;
}

function problemOf(recommendation: Recommendation, resolveSkill: (name: string) => SkillClass | undefined): string | undefined {
  const name = recommendation.skill!;
  let target: SkillClass | undefined;
  try {
    target = resolveSkill(name);
  } catch (error) {
    return `its skill could not be loaded (${(error as Error).message})`;
  }
  if (!target) return recommendation.planned ? undefined : `no skill is named ${name} (mark it planned if it is coming)`;
  const problems = referenceInputProblems(getSkillMeta(target).input, recommendation.input ?? {});
  return problems.length ? problems.join('; ') : undefined;
}

/** The parts of a zod input schema {@link referenceInputProblems} uses. */
export interface ReferenceInputSchema {
  /** A z.object's fields. */
  shape?: object;
  safeParse(value: unknown): { success: true } | { success: false; error: Parameters<typeof describeInputIssues>[0] };
}

/**
 * Why a skill would refuse an input a reference gives it, one line per problem naming the flag:
 * what its schema refuses, and fields it does not declare (a plain z.object drops those
 * silently, so a misspelt field would pass unnoticed), each with the nearest declared one.
 *
 * @returns no lines when the skill accepts the input.
 * @example
 * ```ts
 * referenceInputProblems(VectorIndexInput, { action: 'tune', colection: 'docs' })
 * // ['--collection (collection): is required for action tune', '--colection (colection): unknown field; did you mean --collection (collection)?']
 * ```
 */
export function referenceInputProblems(schema: ReferenceInputSchema, input: Readonly<Record<string, unknown>>): string[] {
  const parsed = schema.safeParse(input);
  const known = schema.shape ? Object.keys(schema.shape) : undefined;
  const unknown = (known ? Object.keys(input).filter((k) => !known.includes(k)) : []).map((k) => {
    const nearest = nearestName(k, known ?? []);
    return `${inputFieldLabel([k])}: unknown field${nearest ? `; did you mean ${inputFieldLabel([nearest])}?` : ''}`;
  });
  // A strict schema reports an unknown field itself: each line once.
  return [...new Set([...(parsed.success ? [] : describeInputIssues(parsed.error, 'input', { knownFields: known ?? [] })), ...unknown])];
}
