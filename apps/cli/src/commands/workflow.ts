import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@pgcluster/core';
import type { WorkflowMeta, WorkflowRunResult } from '@pgcluster/skill-kit';
import { WORKFLOWS } from '@pgcluster/workflows';
import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../cli/global-options';
import { interruptSignal } from '../cli/interrupt-signal';
import { okEnvelope } from '../cli/report-error';
import { skillKit } from '../cli/skill-kit';
import { executeOptions, type CommandContext } from '../skill-command/skill-command';
import { findSkillsDir } from './skills';

interface WorkflowArgs extends GlobalArgs {
  name?: string;
  param?: string[];
}

/**
 * `pgcluster workflow list | show <name> | run <name> [--param k=v] [--dry-run] [--yes]`: the
 * shipped workflows (@pgcluster/workflows). `run` goes through `runWorkflow`: every step through
 * the executor (audited), `--dry-run` plans the whole chain, `--yes` confirms the steps that need
 * it, and a failing step stops the chain and prints the completed steps' rollbacks, newest first.
 * Exit codes: 0 ok or planned, 2 a step failed (or bad input), 3 refused without `--yes`.
 *
 * @example
 * ```ts
 * yargs(argv).command(workflowCommand(context))
 * ```
 */
export function workflowCommand(context: CommandContext): CommandModule {
  const { io, state } = context;
  const print = (argv: WorkflowArgs, command: string, data: unknown, human: string) => {
    io.stdout(formatOf(argv) === 'json' ? skillKit().renderJson(okEnvelope(command, data, Date.now())) : human);
  };
  const named = (y: Argv) => y.positional('name', { type: 'string', describe: `The workflow: ${Object.keys(WORKFLOWS).join(', ')}` });
  const list: CommandModule<object, WorkflowArgs> = {
    command: 'list',
    describe: 'Every workflow: its steps and whether a run needs --yes',
    handler: (argv) => {
      const rows = Object.values(WORKFLOWS).map((w) => ({ name: w.name, steps: w.steps.map((s) => s.name), needsYes: needsYes(w), description: w.description }));
      print(argv, 'workflow list', { workflows: rows }, formatList(rows));
      state.code = 0;
    },
  };
  const show: CommandModule<object, WorkflowArgs> = {
    command: 'show <name>',
    describe: 'One workflow: its parameters and every step as the command it runs, with its condition',
    builder: (y) => named(y) as unknown as Argv<WorkflowArgs>,
    handler: (argv) => {
      const workflow = workflowNamed(argv.name);
      print(argv, 'workflow show', workflow, formatShow(workflow));
      state.code = 0;
    },
  };
  const run: CommandModule<object, WorkflowArgs> = {
    command: 'run <name>',
    describe: 'Run a workflow through the executor (--dry-run plans every step; --yes confirms the steps that need it)',
    builder: (y) =>
      named(y).option('param', {
        type: 'string',
        array: true,
        describe: 'A workflow parameter as name=value (repeatable), e.g. --param database=app',
      }) as unknown as Argv<WorkflowArgs>,
    handler: async (argv) => {
      const workflow = workflowNamed(argv.name);
      const kit = skillKit();
      const log = kit.createStderrLogger({ prefix: `workflow ${workflow.name}`, env: io.env, write: io.stderr, tty: io.stderrIsTTY === true });
      const interrupt = interruptSignal(io, `workflow ${workflow.name}`);
      const { resolveSkill, ...execute } = executeOptions(argv, context, interrupt.signal);
      const result = await kit
        .runWorkflow(workflow, { ...execute, log, params: paramsOf(argv.param), resolveSkill: (name) => resolveSkill(name) })
        .finally(interrupt.dispose);
      log.endProgress();
      io.stdout(formatOf(argv) === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatRun(result));
      state.code = result.status === 'refused' ? 3 : result.ok ? 0 : 2;
    },
  };
  return {
    command: 'workflow',
    describe: 'Workflows: named chains of skills with conditions, a dry run of the whole chain and rollbacks (list, show, run)',
    builder: (y) => y.command(list).command(show).command(run).demandCommand(1, 'Choose one: pgcluster workflow list | show <name> | run <name>'),
    handler: () => undefined,
  };
}

function formatOf(argv: WorkflowArgs): 'json' | 'human' {
  if (argv.format === 'prometheus') throw new InputError('--format', 'must be json or human for workflow commands (got "prometheus")');
  return argv.format;
}

function workflowNamed(name: string | undefined): WorkflowMeta {
  if (name !== undefined && Object.hasOwn(WORKFLOWS, name)) return WORKFLOWS[name]!;
  const nearest = skillKit().nearestName(name ?? '', Object.keys(WORKFLOWS));
  throw new InputError('name', `no workflow is named "${name}"${nearest ? ` (did you mean ${nearest}?)` : ''}; there are ${Object.keys(WORKFLOWS).join(', ')}`, {
    hint: 'Run `pgcluster workflow list`.',
  });
}

/** `--param a=1 --param b=x` → `{ a: '1', b: 'x' }`. */
function paramsOf(raw: readonly string[] | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const item of raw ?? []) {
    const at = item.indexOf('=');
    if (at < 1) throw new InputError('--param', `must be name=value, e.g. --param database=app (got ${JSON.stringify(item)})`);
    params[item.slice(0, at)] = item.slice(at + 1);
  }
  return params;
}

/**
 * Whether a run needs --yes: a step that really runs requires confirmation (its action's, for a
 * skill with several), as skillgen wrote it into the manifest's `workflows`.
 */
function needsYes(workflow: WorkflowMeta): boolean {
  const manifest = JSON.parse(readFileSync(join(findSkillsDir(), 'manifest.json'), 'utf8')) as { workflows?: { name: string; requiresConfirmation: boolean }[] };
  return manifest.workflows?.find((w) => w.name === workflow.name)?.requiresConfirmation ?? false;
}

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

function formatList(rows: readonly { name: string; steps: string[]; needsYes: boolean; description: string }[]): string {
  return table([['WORKFLOW', 'STEPS', 'NEEDS --yes', 'DESCRIPTION'], ...rows.map((r) => [r.name, r.steps.join(' → '), r.needsYes ? 'yes' : 'no', r.description])]);
}

function formatShow(workflow: WorkflowMeta): string {
  const kit = skillKit();
  const lines = [`${workflow.name}: ${workflow.description}`, ''];
  const params = Object.entries(workflow.params ?? {});
  if (params.length > 0) {
    lines.push('Parameters (--param name=value):');
    for (const [name, p] of params) lines.push(`  ${name}  ${p.description}${p.default !== undefined ? ` [default: ${p.default}]` : ' (required)'}`);
    lines.push('');
  }
  lines.push('Steps:');
  workflow.steps.forEach((step, i) => {
    lines.push(`  ${i + 1}. ${step.name}: ${kit.referenceCommand(step, step.dryRun ? { dryRun: true } : {})}`);
    if (step.why) lines.push(`     why: ${step.why}`);
    if (step.when) lines.push(`     only if: ${step.when}`);
  });
  lines.push('', `Run: pgcluster workflow run ${workflow.name}${params.map(([n]) => ` --param ${n}=<${n}>`).join('')} --dry-run${needsYes(workflow) ? ', then with --yes' : ''}`);
  return `${lines.join('\n')}\n`;
}

function firstLine(text: string): string {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.length > 1 ? `${lines[0]} … (${lines.length} lines)` : (lines[0] ?? '');
}

const MARKS: Readonly<Record<string, string>> = { ran: '✓', planned: '·', skipped: '-', failed: '✗', refused: '✗', 'not-run': ' ' };

function formatRun(result: WorkflowRunResult): string {
  const kit = skillKit();
  const verdict =
    result.status === 'ok'
      ? `workflow ${result.workflow}: ok, ${result.steps.filter((s) => s.status === 'ran').length} of ${result.steps.length} steps ran`
      : result.status === 'planned'
        ? `workflow ${result.workflow}: dry run, ${result.steps.length} steps planned, nothing changed`
        : `workflow ${result.workflow}: ${result.status}${result.failedStep ? ` at step ${result.failedStep}` : ''}: ${result.error?.message ?? ''}`;
  const lines = [verdict, ''];
  for (const step of result.steps) {
    const envelope = step.envelope;
    const detail = envelope ? `${envelope.status}${envelope.auditId ? `, audit ${envelope.auditId}` : ''}` : (step.reason ?? '');
    lines.push(`${MARKS[step.status] ?? ' '} ${step.name.padEnd(14)} ${step.status.padEnd(8)} ${kit.referenceCommand(step)}  (${detail})`);
    // One line per planned statement or command (its first); --format json has them in full.
    if (step.status === 'planned') for (const p of envelope?.plan ?? []) lines.push(`      ${p.kind} on ${p.target}: ${firstLine(p.text)}`);
    if (step.status === 'planned' && step.reason) lines.push(`      ${step.reason}`);
    if (step.status === 'failed' || step.status === 'refused') {
      if (envelope?.error?.hint) lines.push(`      hint: ${envelope.error.hint}`);
    }
  }
  if (result.error?.hint && !result.steps.some((s) => s.envelope?.error?.hint === result.error?.hint)) lines.push('', `hint: ${result.error.hint}`);
  if (result.rollbacks.length > 0) {
    lines.push('', 'To undo the completed steps, run these in order (newest first):');
    for (const r of result.rollbacks) lines.push(`  ${kit.referenceCommand(r)}    # ${r.step}: ${r.why}${r.auditId ? ` (or: pgcluster audit undo ${r.auditId})` : ''}`);
  }
  if (result.auditId) lines.push('', `audit: ${result.auditId} (pgcluster audit show ${result.auditId}: this run and its steps' audit ids)`);
  return `${lines.join('\n')}\n`;
}
