import { parseWhen, whenSteps, WhenSyntaxError, type WorkflowParam, type WorkflowStep } from '@pgcluster/skill-kit';
import { Node, type Project } from 'ts-morph';
import type { SkillProblem } from '../errors/skillgen-error';
import { describeNode, NotLiteralError, objectLiteralEntries, readLiteral } from './read-literal';
import { MAX_DESCRIPTION_LENGTH } from './scan-skills';
import { relativePath, type WorkspacePackage } from './workspace';

/** A workflow read statically from a `defineWorkflow({ … })` literal. */
export interface ScannedWorkflow {
  name: string;
  description: string;
  whenToUse: string[];
  params: Record<string, WorkflowParam>;
  steps: WorkflowStep[];
  package: WorkspacePackage;
  /** Root-relative path of its file. */
  file: string;
  /** The line of the `defineWorkflow` call. */
  line: number;
  /** Lines of its fields and of each step (`steps[2]`, `steps[2].input`). */
  fieldLines: Readonly<Record<string, number>>;
}

const WORKFLOW_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/;
const STEP_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const FIELDS = ['name', 'description', 'whenToUse', 'params', 'steps'] as const;
const STEP_FIELDS = ['name', 'skill', 'input', 'why', 'when', 'dryRun'] as const;

/**
 * Finds every workflow: `defineWorkflow({ … })` calls in `packages/<pkg>/src/workflows/*.workflow.ts`,
 * read statically (never run). Checks what needs no other skill: literal metadata, kebab-case
 * names, the description limit (workflows count in the listing budget), unique step names, and
 * each `when` (it parses; it reads only earlier steps). Step inputs are checked against their
 * target skills by `checkWorkflowReferences`.
 *
 * @example
 * ```ts
 * const { workflows, problems } = scanWorkflows(root, project, listPackages(root))
 * ```
 */
export function scanWorkflows(root: string, project: Project, packages: readonly WorkspacePackage[]): { workflows: ScannedWorkflow[]; problems: SkillProblem[] } {
  const workflows: ScannedWorkflow[] = [];
  const problems: SkillProblem[] = [];
  for (const pkg of packages) {
    const dir = `${pkg.path.split('\\').join('/')}/src/workflows/`;
    const files = project
      .getSourceFiles()
      .filter((f) => f.getFilePath().startsWith(dir) && f.getFilePath().endsWith('.workflow.ts'))
      .sort((a, b) => (a.getFilePath() < b.getFilePath() ? -1 : 1));
    for (const file of files) {
      const rel = relativePath(root, file.getFilePath());
      for (const call of file.getDescendants().filter(Node.isCallExpression)) {
        if (call.getExpression().getText() !== 'defineWorkflow') continue;
        const report: Report = (line, rule, message) => problems.push({ file: rel, line, rule, message });
        const workflow = readWorkflow(call.getArguments()[0], call, report);
        if (workflow) workflows.push({ ...workflow, package: pkg, file: rel, line: call.getStartLineNumber() });
      }
    }
  }
  const seen = new Map<string, ScannedWorkflow>();
  for (const w of workflows) {
    const first = seen.get(w.name);
    if (first) problems.push({ file: w.file, line: w.fieldLines['name'] ?? w.line, rule: 'duplicate-name', message: `workflow name "${w.name}" is already declared at ${first.file}:${first.line}` });
    else seen.set(w.name, w);
  }
  workflows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { workflows, problems };
}

type Report = (line: number, rule: SkillProblem['rule'], message: string) => void;

function readWorkflow(arg: Node | undefined, call: Node, report: Report): Omit<ScannedWorkflow, 'package' | 'file' | 'line'> | undefined {
  if (!arg) return void report(call.getStartLineNumber(), 'literal', 'defineWorkflow takes one object literal');
  let value: Record<string, unknown>;
  const fieldLines: Record<string, number> = {};
  try {
    const entries = objectLiteralEntries(arg);
    for (const [key, entry] of entries) {
      fieldLines[key] = entry.property.getStartLineNumber();
      if (!(FIELDS as readonly string[]).includes(key)) report(entry.property.getStartLineNumber(), 'unknown-field', `unknown workflow field \`${key}\`; the fields are ${FIELDS.join(', ')}`);
    }
    const steps = entries.get('steps')?.value;
    if (steps && Node.isArrayLiteralExpression(steps)) {
      steps.getElements().forEach((element, i) => {
        fieldLines[`steps[${i}]`] = element.getStartLineNumber();
        if (Node.isObjectLiteralExpression(element)) {
          for (const [key, entry] of objectLiteralEntries(element)) fieldLines[`steps[${i}].${key}`] = entry.property.getStartLineNumber();
        }
      });
    }
    value = readLiteral(arg) as Record<string, unknown>;
  } catch (error) {
    const node = error instanceof NotLiteralError ? error.node : arg;
    return void report(node.getStartLineNumber(), 'literal', `a workflow must be an object literal of literals (skillgen reads it statically); ${describeNode(node)} is not`);
  }
  const at = (key: string) => fieldLines[key] ?? call.getStartLineNumber();
  let ok = true;
  const fail = (line: number, rule: SkillProblem['rule'], message: string) => {
    report(line, rule, message);
    ok = false;
  };
  const name = value['name'];
  if (typeof name !== 'string' || !WORKFLOW_NAME.test(name)) fail(at('name'), 'name-pattern', `workflow name must be kebab-case with at least two words (got ${JSON.stringify(name)})`);
  const description = value['description'];
  if (typeof description !== 'string' || description.trim() === '') fail(at('description'), 'missing-field', 'a workflow needs a description (what it does and when, ≤ 200 characters)');
  else if (description.length > MAX_DESCRIPTION_LENGTH)
    fail(at('description'), 'description-length', `description is ${description.length} characters; at most ${MAX_DESCRIPTION_LENGTH} (it is listed in every session): move detail to whenToUse`);
  const params = (value['params'] ?? {}) as Record<string, WorkflowParam>;
  const steps = value['steps'];
  if (!Array.isArray(steps) || steps.length === 0) {
    fail(at('steps'), 'missing-field', 'a workflow needs at least one step');
    return undefined;
  }
  const names: string[] = [];
  steps.forEach((raw: unknown, i: number) => {
    const step = raw as Record<string, unknown>;
    const line = at(`steps[${i}]`);
    const unknown = Object.keys(step).filter((k) => !(STEP_FIELDS as readonly string[]).includes(k));
    if (unknown.length) fail(line, 'unknown-field', `step ${i + 1}: unknown field ${unknown.join(', ')}; a step has ${STEP_FIELDS.join(', ')}`);
    if (typeof step['name'] !== 'string' || !STEP_NAME.test(step['name'])) fail(line, 'name-pattern', `step ${i + 1}: name must be kebab-case (got ${JSON.stringify(step['name'])})`);
    else if (names.includes(step['name'])) fail(line, 'duplicate-name', `step name "${step['name']}" is used twice`);
    if (typeof step['skill'] !== 'string') fail(line, 'missing-field', `step ${i + 1}: needs a skill`);
    if (typeof step['input'] !== 'object' || step['input'] === null || Array.isArray(step['input'])) fail(line, 'missing-field', `step ${i + 1}: needs an input object ({} for none)`);
    if (step['when'] !== undefined) {
      const whenLine = at(`steps[${i}].when`);
      try {
        const read = whenSteps(parseWhen(String(step['when'])));
        const later = read.filter((s) => !names.includes(s));
        if (later.length) fail(whenLine, 'reference-skill', `step ${String(step['name'])}: its condition reads ${later.map((s) => `steps.${s}`).join(', ')}, which is not an earlier step`);
      } catch (error) {
        if (!(error instanceof WhenSyntaxError)) throw error;
        fail(whenLine, 'literal', `step ${String(step['name'])}: when: ${error.message}`);
      }
    }
    if (typeof step['name'] === 'string') names.push(step['name']);
  });
  if (!ok) return undefined;
  return {
    name: name as string,
    description: description as string,
    whenToUse: (value['whenToUse'] as string[] | undefined) ?? [],
    params,
    steps: steps as WorkflowStep[],
    fieldLines,
  };
}
