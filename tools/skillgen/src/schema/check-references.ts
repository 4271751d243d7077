import { nearestName, PLACEHOLDER, referenceInputProblems, type ReferenceInputSchema, type SkillReference } from '@pgcluster/skill-kit';
import type { SkillProblem } from '../errors/skillgen-error';
import type { ScannedSkill } from '../scan/scan-skills';

/** The references a skill declares, by metadata field. */
const REFERENCE_FIELDS = ['decisionTree', 'examples'] as const;

/**
 * Checks every reference in the skills' decision trees and examples against its target skill's
 * input schema (the zod schema itself, so refinements count): an agent that runs a SKILL.md
 * command must not walk into INVALID_INPUT. A target that does not exist is allowed only with
 * `planned: true`; `<placeholder>` values (decision trees only) stand for any value: issues on
 * their own fields are not counted. Each problem points at the reference's own line.
 *
 * @param inputSchemaOf the zod input schema of a skill by name, or undefined when no skill has it.
 * @returns problems (`reference-skill`, `reference-input`) and warnings (a `planned` target that now exists).
 * @example
 * ```ts
 * const { problems } = checkReferences(skills, (name) => schemas.get(name))
 * ```
 */
export function checkReferences(
  skills: readonly ScannedSkill[],
  inputSchemaOf: (name: string) => ReferenceInputSchema | undefined,
): { problems: SkillProblem[]; warnings: string[] } {
  const names = skills.map((s) => s.name);
  const problems: SkillProblem[] = [];
  const warnings: string[] = [];
  for (const skill of skills) {
    for (const field of REFERENCE_FIELDS) {
      (skill[field] as readonly SkillReference[]).forEach((reference, i) => {
        const line = skill.fieldLines[`${field}[${i}]`] ?? skill.fieldLines[field] ?? skill.line;
        const at = `${field}[${i}] of ${skill.name}`;
        const schema = inputSchemaOf(reference.skill);
        if (!schema) {
          if (reference.planned) return;
          const nearest = nearestName(reference.skill, names);
          problems.push({
            file: skill.file,
            line,
            rule: 'reference-skill',
            message: `${at} names "${reference.skill}", which is not a skill${nearest ? ` (did you mean ${nearest}?)` : ''}; mark it \`planned: true\` if it is coming`,
          });
          return;
        }
        if (reference.planned) warnings.push(`${skill.file}:${line}: ${at} marks ${reference.skill} as planned, but it exists now: remove \`planned\``);
        const placeholders = Object.keys(reference.input).filter((k) => typeof reference.input[k] === 'string' && PLACEHOLDER.test(reference.input[k] as string));
        if (placeholders.length > 0 && field !== 'decisionTree') {
          problems.push({ file: skill.file, line, rule: 'reference-input', message: `${at}: an example must be runnable as written; replace the placeholder ${placeholders.map((p) => `\`${p}\``).join(', ')} with a value` });
          return;
        }
        // Placeholders stay in (a string where a string is expected passes); issues on their own fields are not counted.
        const messages = referenceInputProblems(schema, reference.input).filter((m) => !placeholders.some((p) => m.includes(`(${p})`) || m.includes(`(${p}.`)));
        if (messages.length > 0) {
          problems.push({ file: skill.file, line, rule: 'reference-input', message: `${at}: ${reference.skill} would refuse this input: ${messages.join('; ')}` });
        }
      });
    }
  }
  return { problems, warnings };
}

