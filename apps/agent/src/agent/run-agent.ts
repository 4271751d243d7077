import { loadConfig, PgClusterError, type LoadConfigOptions, type LoadedConfig } from '@pgcluster/core';
import { createStderrLogger, type SkillLogger, type SkillRegistry } from '@pgcluster/skill-kit';
import { loadAgentPolicy, type AgentPolicy, type AgentPolicyLookup } from '../policy/agent-policy';
import { readAgentStateFile, writeAgentStateFile } from '../store/agent-state-file';
import { readAgentStatus } from '../store/agent-status';
import { agentSkillRegistry } from './agent-skills';
import { agentTick, sleep, type AgentTickSummary } from './agent-tick';

/** How {@link runAgent} runs. Every field is optional. */
export interface RunAgentOptions {
  /** The cluster's configuration; default loaded like every command (`loadConfig`). */
  loaded?: LoadedConfig;
  loadConfig?: LoadConfigOptions;
  /** The policy; default {@link loadAgentPolicy}(`policyFile`). */
  policy?: AgentPolicy;
  policyFile?: string;
  policyLookup?: AgentPolicyLookup;
  /** One round, then return (`--once`). */
  once?: boolean;
  /** Seconds between rounds; default the policy's `intervalSeconds` (30). */
  intervalSeconds?: number;
  /** Stop after this many rounds (tests, benchmarks); default no limit unless `once`. */
  maxTicks?: number;
  /** Stops the loop (and the skill running) when aborted. */
  signal?: AbortSignal;
  /** Where escalations' stderr channel and the agent's lines go; default process.stderr. */
  stderr?: (line: string) => void;
  log?: SkillLogger;
  registry?: SkillRegistry;
  /** Called after every round. */
  onTick?: (summary: AgentTickSummary) => void;
}

/**
 * Runs the agent: a round ({@link agentTick}) every interval until the signal aborts, `once`, or
 * `maxTicks`. A round that throws is reported on stderr and the loop goes on (the cluster
 * disappearing is a round that escalates, not an error). The state file records the pid, so
 * `readAgentStatus` sees it running, and a second agent on the same state dir is refused.
 * @throws ConfigError on an invalid policy or config; PgClusterError (`REFUSED`) when another agent runs.
 * @example
 * ```ts
 * const controller = new AbortController()
 * process.on('SIGTERM', () => controller.abort())
 * await runAgent({ signal: controller.signal })
 * ```
 */
export async function runAgent(options: RunAgentOptions = {}): Promise<AgentTickSummary[]> {
  const policy = options.policy ?? loadAgentPolicy(options.policyFile, options.policyLookup);
  const loaded = options.loaded ?? loadConfig(options.loadConfig);
  const stderr = options.stderr ?? ((line: string) => void process.stderr.write(line));
  const stateDir = loaded.stateDir;
  const status = await readAgentStatus({ stateDir, ...(options.policyFile ? { policyFile: options.policyFile } : {}), ...(options.policyLookup ? { lookup: options.policyLookup } : {}) }).catch(() => undefined);
  if (status?.running && status.pid !== process.pid) {
    throw new PgClusterError('REFUSED', `another agent already runs on this state dir (pid ${status.pid})`, { hint: 'Stop it first, or use its pause/resume.' });
  }
  const state = readAgentStateFile(stateDir);
  const startedAt = new Date().toISOString();
  const { stoppedAt: _stopped, ...rest } = state;
  void _stopped;
  writeAgentStateFile(stateDir, { ...rest, pid: process.pid, startedAt });
  const rt = {
    loaded,
    policy,
    registry: options.registry ?? agentSkillRegistry(),
    stderr,
    log: options.log ?? createStderrLogger({ prefix: 'agent' }),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const intervalMs = (options.intervalSeconds ?? policy.intervalSeconds) * 1000;
  const maxTicks = options.once ? 1 : (options.maxTicks ?? Infinity);
  const summaries: AgentTickSummary[] = [];
  try {
    for (let tick = 0; tick < maxTicks && !options.signal?.aborted; tick += 1) {
      const started = Date.now();
      try {
        const summary = await agentTick(rt);
        summaries.push(summary);
        options.onTick?.(summary);
      } catch (error) {
        // The agent survives its own faults: report, and try again next interval.
        stderr(`${JSON.stringify({ source: 'pgcluster-agent', error: error instanceof Error ? error.message : String(error), at: new Date().toISOString() })}\n`);
      }
      if (tick + 1 < maxTicks) await sleep(intervalMs - (Date.now() - started), options.signal);
    }
  } finally {
    writeAgentStateFile(stateDir, { ...readAgentStateFile(stateDir), stoppedAt: new Date().toISOString() });
  }
  return summaries;
}
