import { referenceCommand } from '@pgcluster/skill-kit';
import type { ScannedWorkflow } from '../scan/scan-workflows';
import { COMPATIBILITY, yamlString } from './render-skill-md';
import { oneLine } from './schema-text';

/** The folder of the workflows' SKILL.md files under `skills/`. */
export const WORKFLOW_CATEGORY = 'workflow';

/** `skills/workflow/<name>/SKILL.md`. */
export function workflowMdPath(workflow: Pick<ScannedWorkflow, 'name'>): string {
  return `skills/${WORKFLOW_CATEGORY}/${workflow.name}/SKILL.md`;
}

/**
 * Renders a workflow's SKILL.md (Agent Skills format, like a skill's): what it chains, how to run
 * it (`pgcluster workflow run <name>`), its parameters, every step as the command it runs with its
 * condition, what a run returns and how failures are handled.
 *
 * @param needsYes whether a step's skill requires confirmation (the run then needs `--yes`).
 * @example
 * ```ts
 * files.set(workflowMdPath(w), renderWorkflowMd(w, { license: 'MIT', needsYes: false }))
 * ```
 */
export function renderWorkflowMd(workflow: ScannedWorkflow, context: { license?: string; needsYes: boolean }): string {
  const command = `pgcluster workflow run ${workflow.name}`;
  const params = Object.entries(workflow.params);
  const paramFlags = params.map(([name, p]) => (p.default === undefined ? ` --param ${name}=<${name}>` : '')).join('');
  const metadata: Record<string, string> = {
    category: WORKFLOW_CATEGORY,
    'requires-confirmation': String(context.needsYes),
    command,
    package: workflow.package.name,
    generator: 'pgcluster skillgen; edit the defineWorkflow literal, not this file',
  };
  const lines = ['---', `name: ${workflow.name}`, `description: ${yamlString(oneLine(workflow.description))}`];
  if (context.license) lines.push(`license: ${yamlString(context.license)}`);
  lines.push(`compatibility: ${yamlString(COMPATIBILITY)}`, 'metadata:');
  for (const [key, value] of Object.entries(metadata)) lines.push(`  ${key}: ${yamlString(value)}`);
  lines.push('---', '', `# ${workflow.name}`, '', oneLine(workflow.description), '');
  lines.push(
    `A workflow: ${workflow.steps.length} skills run in order, each through the pgcluster executor (input validated, plan, confirmation, audit).`,
    'A step with a condition runs only when it holds on the results of the earlier steps.',
    '',
  );
  lines.push('## Usage', '', '```bash', `${command}${paramFlags} --dry-run --format json`, `${command}${paramFlags}${context.needsYes ? ' --yes' : ''} --format json`, '```', '');
  lines.push(
    '`--dry-run` plans every step and changes nothing (a condition is noted, not evaluated: it needs the earlier results).',
    context.needsYes ? 'A step requires confirmation: without `--yes` the run is refused (exit 3) before any step runs.' : 'No step requires confirmation.',
    'Exit codes: 0 ok (or planned), 2 a step failed or bad input, 3 refused without `--yes`.',
    '',
  );
  if (params.length > 0) {
    lines.push('## Parameters', '', '| parameter | required | description |', '|---|---|---|');
    for (const [name, p] of params) lines.push(`| \`--param ${name}=…\` | ${p.default === undefined ? 'yes' : `no (default \`${p.default}\`)`} | ${oneLine(p.description)} |`);
    lines.push('');
  }
  lines.push('## Steps', '');
  workflow.steps.forEach((step, i) => {
    lines.push(`${i + 1}. **${step.name}**: \`${referenceCommand(step, step.dryRun ? { dryRun: true } : {})}\`${step.why ? ` (${oneLine(step.why)})` : ''}`);
    if (step.when) lines.push(`   - only if \`${step.when}\``);
  });
  lines.push('');
  if (workflow.whenToUse.length > 0) lines.push('## When to use', '', ...workflow.whenToUse.map((w) => `- ${oneLine(w)}`), '');
  lines.push(
    '## Result',
    '',
    'With `--format json`, one JSON document: `workflow`, `status` (`ok`, `planned`, `failed` or `refused`), `ok`, `dryRun`,',
    '`steps` (each with `name`, `skill`, `input`, `status`: `ran`, `planned`, `skipped`, `failed`, `refused` or `not-run`, a `reason`,',
    'and the step\'s envelope with its `data`, `plan` and `auditId`), `failedStep`, `rollbacks` and `error`.',
    '',
    '## When a step fails',
    '',
    'The chain stops at the first step that fails or is refused; later steps do not run. `rollbacks` lists how to undo the steps',
    'that completed, newest first: run them in that order (each is a skill reference; `pgcluster audit undo <auditId>` runs the same).',
    '',
    '## Conditions',
    '',
    '`steps.<step>.<field>` reads an earlier step\'s `ok`, `status`, `data`, `alerts` or `recommendations`; `[key=value]` filters an',
    'array; `=`, `!=`, `<`, `<=`, `>`, `>=` compare; `not`, `and`, `or` and parentheses combine. A skipped step reads as nothing.',
    '',
  );
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
