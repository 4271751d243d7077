import { nearestName, PLACEHOLDER, referenceInputProblems, type ReferenceInputSchema } from '@pgcluster/skill-kit';
import type { SkillProblem } from '../errors/skillgen-error';
import type { ScannedWorkflow } from '../scan/scan-workflows';

/**
 * Checks every workflow step against its target skill, as decision trees and examples are checked:
 * the skill exists, and its input schema accepts the step's input (a `<param>` value stands for
 * the parameter's default when it has one, else for any value: issues on its field are not
 * counted; a placeholder that is no declared parameter is an error). Each problem points at the
 * step's own line, so a step that would end in INVALID_INPUT fails generation with file:line.
 *
 * @param inputSchemaOf the zod input schema of a skill by name, or undefined when no skill has it.
 * @example
 * ```ts
 * const problems = checkWorkflowReferences(workflows, skillNames, (name) => schemas.get(name))
 * ```
 */
export function checkWorkflowReferences(
  workflows: readonly ScannedWorkflow[],
  skillNames: readonly string[],
  inputSchemaOf: (name: string) => ReferenceInputSchema | undefined,
): SkillProblem[] {
  const problems: SkillProblem[] = [];
  for (const workflow of workflows) {
    if (skillNames.includes(workflow.name)) {
      problems.push({ file: workflow.file, line: workflow.fieldLines['name'] ?? workflow.line, rule: 'duplicate-name', message: `workflow ${workflow.name} has the name of a skill` });
    }
    workflow.steps.forEach((step, i) => {
      const line = workflow.fieldLines[`steps[${i}].input`] ?? workflow.fieldLines[`steps[${i}]`] ?? workflow.line;
      const at = `step ${step.name} of workflow ${workflow.name}`;
      const schema = inputSchemaOf(step.skill);
      if (!schema) {
        const nearest = nearestName(step.skill, skillNames);
        problems.push({ file: workflow.file, line: workflow.fieldLines[`steps[${i}].skill`] ?? line, rule: 'reference-skill', message: `${at} names "${step.skill}", which is not a skill${nearest ? ` (did you mean ${nearest}?)` : ''}` });
        return;
      }
      const input: Record<string, unknown> = {};
      const open: string[] = [];
      for (const [field, value] of Object.entries(step.input)) {
        if (typeof value !== 'string' || !PLACEHOLDER.test(value)) {
          input[field] = value;
          continue;
        }
        const param = workflow.params[value.slice(1, -1)];
        if (!param) {
          problems.push({ file: workflow.file, line, rule: 'reference-input', message: `${at}: ${value} is not a parameter of the workflow (declare it in params: { ${value.slice(1, -1)}: { description } })` });
          return;
        }
        if (param.default !== undefined) input[field] = param.default;
        else {
          input[field] = value;
          open.push(field);
        }
      }
      const messages = referenceInputProblems(schema, input).filter((m) => !open.some((p) => m.includes(`(${p})`) || m.includes(`(${p}.`)));
      if (messages.length > 0) problems.push({ file: workflow.file, line, rule: 'reference-input', message: `${at}: ${step.skill} would refuse this input: ${messages.join('; ')}` });
    });
  }
  return problems;
}
