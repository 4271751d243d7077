import { PgClusterError } from '@pgcluster/core';

/** The rules a skill declaration must follow; each failure names one. */
export const SKILL_RULES = [
  'literal',
  'unknown-field',
  'missing-field',
  'field-type',
  'name-pattern',
  'name-prefix',
  'category',
  'risk',
  'version',
  'description-length',
  'when-to-use',
  'duplicate-name',
  'decorated-member',
  'destructive-needs-confirmation',
  'reference-skill',
  'reference-input',
  'schema-export',
  'schema-json',
  'skill-export',
  'reserved-flag',
  'flag-collision',
  'secret-mark',
  'listing-budget',
  'metric-name',
  'metric-value',
  'metric-label',
] as const;

/** One of {@link SKILL_RULES}. */
export type SkillRule = (typeof SKILL_RULES)[number];

/** A rule a skill declaration breaks, located at `file:line` (file relative to the workspace root). */
export interface SkillProblem {
  file: string;
  line: number;
  rule: SkillRule;
  message: string;
}

/**
 * Formats a problem the way compilers do, so editors can jump to it.
 *
 * @example
 * ```ts
 * formatProblem({ file: 'packages/vector/src/skills/search.skill.ts', line: 12, rule: 'name-prefix', message: '…' })
 * // 'packages/vector/src/skills/search.skill.ts:12: [name-prefix] …'
 * ```
 */
export function formatProblem(problem: SkillProblem): string {
  return `${problem.file}:${problem.line}: [${problem.rule}] ${problem.message}`;
}

/**
 * Thrown when one or more skill declarations break the rules; carries every problem found,
 * so one run reports them all.
 *
 * @example
 * ```ts
 * try { generate({ root }) } catch (e) { if (e instanceof SkillRuleError) e.problems.forEach((p) => console.error(formatProblem(p))) }
 * ```
 */
export class SkillRuleError extends PgClusterError {
  /** Every problem, sorted by file and line. */
  readonly problems: readonly SkillProblem[];

  constructor(problems: readonly SkillProblem[]) {
    const sorted = [...problems].sort(compareProblems);
    super('INVALID_INPUT', `${sorted.length} skill declaration problem(s):\n${sorted.map(formatProblem).join('\n')}`, {
      hint: 'Fix the @Skill metadata at the named lines; every field must be a literal (see DESIGN.md §4).',
    });
    this.problems = sorted;
  }
}

/** Orders problems by file, then line, then rule. */
export function compareProblems(a: SkillProblem, b: SkillProblem): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0);
}
