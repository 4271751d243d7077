import { typeLabel, shapeLines, oneLine } from './schema-text';
import { PLACEHOLDER, referenceCommand } from '@pgcluster/skill-kit';
import { exampleCommands } from './render-reference';
import { commandOf, flagPlaceholder, usageLine, type SkillModel } from './skill-model';
import type { JsonSchema } from '../schema/load-schemas';

/** Frontmatter `compatibility` (at most 500 characters by the Agent Skills spec). */
export const COMPATIBILITY =
  'Needs Node.js 20+ and pgcluster on PATH: in a clone of the pgcluster repository, bash scripts/setup.sh ' +
  '(or bash scripts/install.sh) links it into /usr/local/bin (~/.local/bin when not root); or npm install -g ' +
  'the tarball from bash scripts/pack-cli.sh. And a PostgreSQL 15+ cluster with pgvector, configured by ' +
  'pgcluster.config.json (pgcluster dev up writes one), --config or PGCLUSTER_NODES.';

/** What the renderers need besides the skill: the license of the workspace, if it declares one. */
export interface RenderContext {
  license?: string;
  /** Every skill name, to tell whether a decision tree's target exists. */
  skillNames: ReadonlySet<string>;
}

const RISK_TEXT = {
  read: 'read: it only reads; nothing in the cluster changes.',
  write: 'write: it changes the cluster in a way that can be undone.',
  destructive: 'destructive: it can remove data or availability that cannot simply be restored.',
} as const;

/**
 * Renders a skill's SKILL.md in the Agent Skills format: frontmatter with only the spec's
 * fields (`name` = folder name, `description`, `license`, `compatibility`, `metadata` of
 * strings, `allowed-tools`), then what it does, usage, parameters, output shape, when to use
 * it, how to read the result, the decision tree, examples and safety.
 *
 * @example
 * ```ts
 * writeFileSync(`skills/${skill.category}/${skill.name}/SKILL.md`, renderSkillMd(skill, { skillNames }))
 * ```
 */
export function renderSkillMd(skill: SkillModel, context: RenderContext): string {
  // The body says what it does in full (`details`); the listing's short description is in the frontmatter.
  const lines: string[] = [...frontmatter(skill, context), '', `# ${skill.name}`, '', oneLine(skill.details || skill.description), ''];
  lines.push('## Usage', '', '```bash', usageLine(skill), `${commandOf(skill)} --input '<json>' --format json`, '```', '');
  lines.push(
    'Run it with `--format json` to read the result: standard output then carries exactly one JSON document,',
    'and logs go to standard error. The exit code is 0 when all is well (`ok`/`healthy`), 1 when the result',
    'needs attention (`degraded`/`critical`), 2 on an error (bad input, unreachable cluster, failed action) and',
    '3 when the run was refused (confirmation required).',
    '',
  );
  lines.push(...parameters(skill));
  lines.push(...actionFields(skill));
  lines.push(...inputFormats(skill));
  lines.push(...output(skill));
  lines.push('## When to use', '', ...skill.whenToUse.map((w) => `- ${oneLine(w)}`), '');
  lines.push('## How to interpret the result', '', oneLine(skill.interpret), '');
  lines.push(...metrics(skill));
  lines.push(...decisionTree(skill, context));
  lines.push(...examples(skill));
  lines.push(...safety(skill));
  lines.push(...environment());
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

function frontmatter(skill: SkillModel, context: RenderContext): string[] {
  const metadata: Record<string, string> = {
    category: skill.category,
    version: skill.version,
    risk: skill.risk,
    autonomous: String(skill.autonomous),
    'requires-confirmation': String(skill.requiresConfirmation),
    idempotent: String(skill.idempotent),
    command: commandOf(skill),
    package: skill.package.name,
    generator: 'pgcluster skillgen; edit the @Skill metadata, not this file',
  };
  const lines = ['---', `name: ${skill.name}`, `description: ${yamlString(oneLine(skill.description))}`];
  if (context.license) lines.push(`license: ${yamlString(context.license)}`);
  lines.push(`compatibility: ${yamlString(COMPATIBILITY)}`, 'metadata:');
  for (const [key, value] of Object.entries(metadata)) lines.push(`  ${key}: ${yamlString(value)}`);
  // Only read skills are pre-approved: anything that changes the cluster asks the user first.
  if (skill.risk === 'read') lines.push(`allowed-tools: ${yamlString(`Bash(${commandOf(skill)}:*)`)}`);
  lines.push('---');
  return lines;
}

function parameters(skill: SkillModel): string[] {
  const lines = ['## Parameters', ''];
  const properties = (skill.schemas.input['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((skill.schemas.input['required'] ?? []) as string[]);
  if (Object.keys(properties).length === 0) {
    lines.push('This skill takes no parameters (`--input \'{}\'` is accepted).', '');
    return lines;
  }
  lines.push('| Flag | JSON field | Type | Required | Default | Description |', '| --- | --- | --- | --- | --- | --- |');
  for (const [property, schema] of Object.entries(properties)) {
    const flag = skill.flags.find((f) => f.property === property);
    const fallback = schema['default'] === undefined ? '' : `\`${JSON.stringify(schema['default'])}\``;
    const description = flag?.description ?? (typeof schema['description'] === 'string' ? schema['description'] : '');
    const name = flag ? `\`--${flag.name}\`` : 'only in `--input`';
    lines.push(`| ${name} | \`${property}\` | ${cell(typeLabel(schema))} | ${required.has(property) ? 'yes' : 'no'} | ${cell(fallback)} | ${cell(description)} |`);
  }
  lines.push(
    '',
    'Every field can also be given as JSON: `--input \'{"field": value}\'`, or `--input -` to read the JSON from',
    'standard input. It must match the input JSON Schema of this skill in `skills/manifest.json`; flags given',
    'next to `--input` override its fields.',
    '',
  );
  return lines;
}

/** For a skill with several actions: which flags each action takes, required or not, and its safety. */
function actionFields(skill: SkillModel): string[] {
  if (skill.actions.length === 0) return [];
  const lines = [
    '### Fields per action',
    '',
    'Each action takes only its own fields: a missing required one, or a field of another action, is refused',
    '(exit 2) naming the flag and the action.',
    '',
    '| Action | Required | Optional | Risk | Confirmation |',
    '| --- | --- | --- | --- | --- |',
  ];
  const flagOf = (property: string) => {
    const flag = skill.flags.find((f) => f.property === property);
    return flag ? `\`--${flag.name}\`` : `\`${property}\` (\`--input\`)`;
  };
  for (const action of skill.actions) {
    const properties = Object.keys((action.input['properties'] ?? {}) as Record<string, unknown>);
    const required = new Set((action.input['required'] ?? []) as string[]);
    const list = (names: string[]) => (names.length ? names.map(flagOf).join(', ') : '—');
    lines.push(
      `| \`${action.name}\` | ${list(properties.filter((p) => required.has(p)))} | ${list(properties.filter((p) => !required.has(p)))} | ${action.risk} | ${action.requiresConfirmation ? 'required' : 'no'} |`,
    );
  }
  lines.push('');
  return lines;
}

function inputFormats(skill: SkillModel): string[] {
  if (!skill.inputFormats?.length) return [];
  return ['## Input formats', '', ...skill.inputFormats.flatMap((text) => [text, '']), ''];
}

/** The same for every skill: what the environment changes, and what each exit code means. */
function environment(): string[] {
  return [
    '',
    '## Environment and exit codes',
    '',
    '- `PGCLUSTER_CONFIG`: the config file (default: `pgcluster.config.json`, found by walking up from the working directory); `PGCLUSTER_NODES` gives node URLs without a file.',
    '- `PGCLUSTER_LOG`: what goes to standard error: `warn` (default: warnings, and the progress of long runs: a bar on a terminal, a line every 5 s otherwise), `info` (also what each step does), `debug` (also the plan\'s statements as they run) or `silent` (nothing, not even progress).',
    '- `NO_COLOR`: no colour in `--format human` output, even on a terminal.',
    '- Exit codes: 0 ok/healthy; 1 degraded or critical (read the alerts); 2 error (`error.code` says which: INVALID_INPUT names the flag, nothing was run); 3 refused (confirmation required, nothing was run).',
  ];
}

function output(skill: SkillModel): string[] {
  return [
    '## Output',
    '',
    'With `--format json` the document is the result envelope:',
    '`{ ok, skill, status, data, alerts, recommendations, plan?, rollback?, error?, auditId?, durationMs }`.',
    '`status` is one of ok, healthy, degraded, critical, planned, refused, error; `error` is `{ code, message, hint }`.',
    '`data` has this shape (its JSON Schema is the `output` of this skill in `skills/manifest.json`):',
    '',
    '```ts',
    ...shapeLines(skill.schemas.output),
    '```',
    '',
  ];
}

function metrics(skill: SkillModel): string[] {
  const lines = [
    '## Metrics',
    '',
    '`--format prometheus` prints `pgcluster_skill_status{skill,status}` (1 for the run\'s status, 0 for the others),',
    '`pgcluster_skill_duration_seconds{skill}` and `pgcluster_skill_alerts{skill}`',
  ];
  if (skill.metrics.length === 0) {
    lines.push('for every run.', '');
    return lines;
  }
  lines.push('for every run, and these families (all gauges unless marked):', '', '| Metric | Labels | Meaning |', '| --- | --- | --- |');
  for (const m of skill.metrics) {
    const labels = [...Object.keys(m.labels ?? {}), ...(m.states ? [`${m.value.split('.').pop()!.replace(/\[\]$/, '')} (${m.states.join('\\|')})`] : [])];
    lines.push(`| \`${m.name}\`${m.type === 'counter' ? ' (counter)' : ''} | ${labels.join(', ') || '—'} | ${cell(m.help)} |`);
  }
  lines.push('');
  return lines;
}

function decisionTree(skill: SkillModel, context: RenderContext): string[] {
  if (skill.decisionTree.length === 0) return [];
  const lines = ['## Decision tree', ''];
  for (const rule of skill.decisionTree) {
    const coming = context.skillNames.has(rule.skill) ? '' : ' (coming: not available in this version yet)';
    const why = rule.why ? ` (${oneLine(rule.why)})` : '';
    lines.push(`- If ${oneLine(rule.when)}: run \`${referenceCommand(rule)}\`${coming}${why}.`);
  }
  if (skill.decisionTree.some((rule) => Object.values(rule.input).some((v) => typeof v === 'string' && PLACEHOLDER.test(v)))) {
    lines.push('', 'A `<placeholder>` stands for the value the result names (the collection, index or node concerned).');
  }
  lines.push('');
  return lines;
}

function examples(skill: SkillModel): string[] {
  const lines = ['## Examples', ''];
  const required = skill.flags.filter((f) => f.required).map((f) => `--${f.name}${flagPlaceholder(f)}`);
  const fallback = { title: 'Run it and read the result as JSON', command: [commandOf(skill), ...required, '--format json'].join(' ') };
  const all = skill.examples.length > 0 ? exampleCommands(skill) : [fallback];
  for (const example of all) {
    lines.push(`${oneLine(example.title)}:`, '', '```bash', example.command, '```', '');
  }
  return lines;
}

function safety(skill: SkillModel): string[] {
  const lines = ['## Safety', '', `- Risk: ${RISK_TEXT[skill.risk]}`];
  lines.push(
    skill.hasPlan
      ? '- Dry run: `--dry-run` validates the input and returns the plan (the SQL statements and commands it would run) in `plan`, with status `planned`, and runs nothing.'
      : '- Dry run: `--dry-run` validates the input and returns status `planned` without running anything.',
  );
  const confirmed = skill.actions.filter((a) => a.requiresConfirmation).map((a) => `\`${a.name}\``);
  lines.push(
    skill.actions.length > 0 && confirmed.length > 0 && confirmed.length < skill.actions.length
      ? `- Confirmation: required for the action${confirmed.length > 1 ? 's' : ''} ${confirmed.join(', ')}, not for the others. Without \`--yes\` (or an approving policy) such a run refuses with status \`refused\` and exit code 3 and changes nothing. Ask the user before adding \`--yes\`; show them the \`--dry-run\` plan first.`
      : skill.requiresConfirmation || confirmed.length > 0
      ? '- Confirmation: required. Without `--yes` (or an approving policy) it refuses with status `refused` and exit code 3 and changes nothing. Ask the user before adding `--yes`; show them the `--dry-run` plan first.'
      : '- Confirmation: not required.',
  );
  lines.push(
    skill.risk === 'read'
      ? '- Undo: nothing to undo.'
      : '- Undo: a run that changed something records how to undo it in `rollback`; `pgcluster audit undo <auditId>` applies it where it can.',
  );
  const long = skill.actions.filter((a) => a.timeoutMs !== undefined);
  if (long.length > 0) {
    const names = long.map((a) => `\`${a.name}\``).join(', ');
    const minutes = Math.max(...long.map((a) => a.timeoutMs!)) / 60_000;
    lines.push(`- Timeout: ${names} run${long.length > 1 ? '' : 's'} up to ${minutes} minutes unless \`--timeout\` says otherwise; other runs 60 s.`);
  }
  lines.push('- Audit: every run is recorded (`pgcluster audit list`, `pgcluster audit show <id>`); secrets never appear in output or the audit log.');
  lines.push(`- Autonomous: the DBA agent ${skill.autonomous ? 'may run it unattended' : 'never runs it unattended; a human decides'}.`);
  lines.push(`- Idempotent: ${skill.idempotent ? 'yes; running it twice has the effect of running it once' : 'no; check the result before running it again'}.`);
  lines.push('- Bad input exits with code 2 and a message naming the field and what is allowed; it changes nothing.');
  return lines;
}

function cell(text: string): string {
  return oneLine(text).replace(/\|/g, '\\|');
}

/**
 * A YAML double-quoted scalar: JSON's string syntax is valid YAML; `---` is escaped so no
 * frontmatter value can look like its end.
 */
export function yamlString(value: string): string {
  return JSON.stringify(value).replace(/---/g, '-\\x2d-');
}
