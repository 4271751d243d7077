import { InputError, loadConfig, type LoadedConfig } from '@pgcluster/core';
import type { AgentOutcome, AgentReport, AgentStatus, AgentTickSummary } from '@pgcluster/agent';
import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../cli/global-options';
import { interruptSignal } from '../cli/interrupt-signal';
import { okEnvelope } from '../cli/report-error';
import { skillKit } from '../cli/skill-kit';
import type { CommandContext } from '../skill-command/skill-command';

interface AgentArgs extends GlobalArgs {
  once?: boolean;
  interval?: number;
  policy?: string;
  reason?: string;
  since?: string;
  limit?: number;
}

/** The agent's package, loaded only when an agent command runs. */
function agentPackage() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@pgcluster/agent') as typeof import('@pgcluster/agent');
}

/**
 * `pgcluster agent [run] [--once] [--interval S] [--policy FILE]`, `agent pause|resume
 * [--reason]`, `agent status`, `agent report`: the autonomous DBA. `run` watches every interval
 * (monitoring-health, cluster-status), acts through the executor as the policy
 * (`pgcluster.agent.json`) allows, verifies, reverts and escalates; `pause` is the off switch it
 * re-reads every interval; `report` shows success rates and MTTR per check.
 *
 * @example
 * ```ts
 * yargs(argv).command(agentCommand(context))
 * ```
 */
export function agentCommand(context: CommandContext): CommandModule {
  const { io, state } = context;
  const loaded = (argv: AgentArgs): LoadedConfig => loadConfig({ ...(argv.config !== undefined ? { path: argv.config } : {}), cwd: io.cwd, env: io.env });
  const policyFile = (argv: AgentArgs) => ({ lookup: { cwd: io.cwd, env: io.env }, ...(argv.policy !== undefined ? { policyFile: checkPolicyFlag(argv.policy) } : {}) });
  const print = (argv: AgentArgs, command: string, data: unknown, human: string, started: number) => {
    io.stdout(argv.format === 'json' ? skillKit().renderJson(okEnvelope(command, data, started)) : human);
  };
  const policyOption = (y: Argv) => y.option('policy', { type: 'string', describe: 'The policy file (default: pgcluster.agent.json found like the config, else the defaults)' });

  const run: CommandModule<object, AgentArgs> = {
    command: ['run', '$0'],
    describe: 'Watch, decide, act, verify, revert or escalate, learn: every interval until stopped (SIGINT/SIGTERM)',
    builder: (y) =>
      policyOption(y)
        .option('once', { type: 'boolean', default: false, describe: 'One round, then exit (0: nothing escalated, 1: something was escalated or failed)' })
        .option('interval', { type: 'number', describe: "Seconds between rounds (default: the policy's intervalSeconds, 30)" }) as unknown as Argv<AgentArgs>,
    handler: async (argv) => {
      const started = Date.now();
      if (argv.interval !== undefined && (!Number.isInteger(argv.interval) || argv.interval < 1 || argv.interval > 86_400)) {
        throw new InputError('--interval', `must be a whole number of seconds from 1 to 86400 (got ${JSON.stringify(argv.interval)})`);
      }
      const agent = agentPackage();
      const file = policyFile(argv);
      // A bad policy stops here (exit 2, naming the key) before anything runs.
      const policy = agent.loadAgentPolicy(file.policyFile, file.lookup);
      const interrupt = interruptSignal(io, 'agent');
      const human = argv.format !== 'json';
      try {
        const summaries = await agent.runAgent({
          loaded: loaded(argv),
          policy,
          ...(file.policyFile ? { policyFile: file.policyFile } : {}),
          policyLookup: file.lookup,
          once: argv.once === true,
          ...(argv.interval !== undefined ? { intervalSeconds: argv.interval } : {}),
          signal: interrupt.signal,
          stderr: io.stderr,
          onTick: (s) => {
            if (human) io.stdout(formatTick(s));
          },
        });
        const outcomes = summaries.flatMap((s) => s.outcomes);
        if (!human) print(argv, 'agent run', { mode: policy.mode, rounds: summaries }, '', started);
        state.code = outcomes.some((o) => o.decision === 'escalated' || (o.result !== null && o.result !== 'verified' && o.result !== 'pending')) ? 1 : 0;
      } finally {
        interrupt.dispose();
      }
    },
  };
  const pauseOrResume = (paused: boolean): CommandModule<object, AgentArgs> => ({
    command: paused ? 'pause' : 'resume',
    describe: paused ? 'The off switch: the agent takes no action from its next round on (it keeps watching)' : 'Let the agent act again',
    builder: (y) => policyOption(y).option('reason', { type: 'string', describe: paused ? 'Why (shown by agent status and the dashboard)' : 'Ignored; kept for symmetry' }) as unknown as Argv<AgentArgs>,
    handler: async (argv) => {
      const started = Date.now();
      const by = io.env['USER'] || io.env['LOGNAME'] || 'cli';
      const status = await agentPackage().setAgentPaused({ stateDir: loaded(argv).stateDir, paused, by, ...(argv.reason ? { reason: argv.reason } : {}), ...policyFile(argv) });
      print(argv, `agent ${paused ? 'pause' : 'resume'}`, status, formatStatus(status), started);
      state.code = 0;
    },
  });
  const status: CommandModule<object, AgentArgs> = {
    command: 'status',
    describe: 'Mode, pause switch, whether a loop runs, its last round, the policy in force',
    builder: (y) => policyOption(y) as unknown as Argv<AgentArgs>,
    handler: async (argv) => {
      const started = Date.now();
      const s = await agentPackage().readAgentStatus({ stateDir: loaded(argv).stateDir, ...policyFile(argv) });
      print(argv, 'agent status', s, formatStatus(s), started);
      state.code = 0;
    },
  };
  const report: CommandModule<object, AgentArgs> = {
    command: 'report',
    describe: 'Success rate and MTTR per check from the outcome store, and the latest outcomes',
    builder: (y) =>
      y
        .option('since', { type: 'string', describe: 'Only outcomes at or after this time (ISO 8601)' })
        .option('limit', { type: 'number', default: 10, describe: 'Latest outcomes listed' }) as unknown as Argv<AgentArgs>,
    handler: async (argv) => {
      const started = Date.now();
      const since = argv.since !== undefined ? new Date(argv.since) : undefined;
      if (since && Number.isNaN(since.getTime())) throw new InputError('--since', `must be an ISO 8601 time such as 2026-01-31T12:00:00Z (got ${JSON.stringify(argv.since)})`);
      if (!Number.isInteger(argv.limit) || (argv.limit ?? 0) < 0) throw new InputError('--limit', `must be a whole number ≥ 0 (got ${JSON.stringify(argv.limit)})`);
      const agent = agentPackage();
      const outcomes = await agent.readOutcomes({ stateDir: loaded(argv).stateDir, ...(since ? { since } : {}) });
      const summary = agent.summarizeOutcomes(outcomes);
      const latest = outcomes.slice(0, argv.limit);
      print(argv, 'agent report', { ...summary, latest }, formatReport(summary, latest), started);
      state.code = 0;
    },
  };
  return {
    command: 'agent',
    describe: 'The autonomous DBA: run it, pause or resume it, its status and its report',
    builder: (y) => y.command(run).command(pauseOrResume(true)).command(pauseOrResume(false)).command(status).command(report),
    handler: () => undefined,
  };
}

function checkPolicyFlag(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new InputError('--policy', 'must be a file path');
  return value;
}

function formatTick(s: AgentTickSummary): string {
  const lines = [`${s.at} ${s.status}, ${s.findings} finding(s)${s.paused ? ', paused' : ''}`];
  for (const o of s.outcomes) lines.push(`  ${formatOutcome(o)}`);
  return `${lines.join('\n')}\n`;
}

function formatOutcome(o: AgentOutcome): string {
  const action = o.action ? ` → ${o.action.skill}` : '';
  const result = o.result ? ` [${o.result}]` : '';
  return `${o.decision}${result} ${o.check} on ${o.node}/${o.object}${action}: ${o.message}${o.auditIds.length ? ` (audit ${o.auditIds.join(', ')})` : ''}`;
}

function formatStatus(s: AgentStatus): string {
  return [
    `mode: ${s.mode}`,
    `paused: ${s.paused ? `yes, by ${s.pause?.by} at ${s.pause?.at}${s.pause?.reason ? ` (${s.pause.reason})` : ''}` : 'no'}`,
    `running: ${s.running ? `yes (pid ${s.pid})` : 'no'}`,
    `last round: ${s.lastTickAt ?? 'never'}`,
    `policy: ${s.policyFile ?? 'defaults (no pgcluster.agent.json)'}`,
    '',
  ].join('\n');
}

function formatReport(r: AgentReport, latest: AgentOutcome[]): string {
  const pct = (v: number | null) => (v === null ? '-' : `${Math.round(v * 1000) / 10}%`);
  const secs = (v: number | null) => (v === null ? '-' : `${v.toFixed(1)} s`);
  const rows = r.perCheck.map((c) => `${c.check.padEnd(28)} ${String(c.attempts).padStart(8)} ${String(c.verified).padStart(8)} ${String(c.reverted).padStart(8)} ${String(c.escalated).padStart(9)} ${pct(c.successRate).padStart(8)} ${secs(c.mttrSeconds).padStart(9)}`);
  return [
    `${'check'.padEnd(28)} ${'attempts'.padStart(8)} ${'verified'.padStart(8)} ${'reverted'.padStart(8)} ${'escalated'.padStart(9)} ${'success'.padStart(8)} ${'MTTR'.padStart(9)}`,
    ...rows,
    `overall: ${r.overall.attempts} attempt(s), ${r.overall.verified} verified, success ${pct(r.overall.successRate)}, MTTR ${secs(r.overall.mttrSeconds)}`,
    ...(latest.length ? ['', 'latest:', ...latest.map((o) => `  ${o.at} ${formatOutcome(o)}`)] : []),
    '',
  ].join('\n');
}
