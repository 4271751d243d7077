import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { findAgentPolicyFile, loadAgentPolicy, type AgentMode, type AgentPolicy, type AgentPolicyLookup } from '../policy/agent-policy';
import { readAgentStateFile } from './agent-state-file';
import { agentStatePaths } from './agent-state-paths';

/** Who paused the agent, when, and why. */
export interface AgentPause {
  by: string;
  at: string;
  reason?: string;
}

/** The agent as a person (the CLI, the dashboard) sees it. */
export interface AgentStatus {
  /** The policy's mode. */
  mode: AgentMode;
  /** A person paused it: it watches but takes no action. */
  paused: boolean;
  pause?: AgentPause;
  /** A loop process is alive. */
  running: boolean;
  pid?: number;
  lastTickAt?: string;
  /** The policy file in force; absent when the defaults apply. */
  policyFile?: string;
  policy: AgentPolicy;
}

/** Where to read the agent's status. */
export interface ReadAgentStatusOptions {
  /** The state dir (`LoadedConfig.stateDir`). */
  stateDir: string;
  /** The policy file (`--policy`); default found like the config. */
  policyFile?: string;
  /** Where the policy search starts and the environment it reads; default the process's. */
  lookup?: AgentPolicyLookup;
}

/**
 * Reads the pause file, or undefined when the agent is not paused.
 * @example if (readPause(stateDir)) return // paused by a person
 */
export function readPause(stateDir: string): AgentPause | undefined {
  try {
    const raw = JSON.parse(readFileSync(agentStatePaths(stateDir).pauseFile, 'utf8')) as Partial<AgentPause>;
    return { by: typeof raw.by === 'string' ? raw.by : 'unknown', at: typeof raw.at === 'string' ? raw.at : '', ...(typeof raw.reason === 'string' ? { reason: raw.reason } : {}) };
  } catch (error) {
    // A pause file that exists but cannot be parsed still pauses: the off switch fails safe.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { by: 'unknown', at: '', reason: 'the pause file is unreadable' };
  }
}

/**
 * The agent's mode, pause switch, liveness and policy.
 * @throws ConfigError when the policy file is invalid (naming the key).
 * @example
 * ```ts
 * const status = await readAgentStatus({ stateDir: loadConfig().stateDir })
 * if (status.paused) console.log(`paused by ${status.pause?.by}`)
 * ```
 */
export async function readAgentStatus(options: ReadAgentStatusOptions): Promise<AgentStatus> {
  const policyFile = findAgentPolicyFile(options.policyFile, options.lookup);
  const policy = loadAgentPolicy(options.policyFile, options.lookup);
  const state = readAgentStateFile(options.stateDir);
  const pause = readPause(options.stateDir);
  const running = state.pid !== undefined && !state.stoppedAt && isAlive(state.pid);
  return {
    mode: policy.mode,
    paused: pause !== undefined,
    ...(pause ? { pause } : {}),
    running,
    ...(state.pid !== undefined ? { pid: state.pid } : {}),
    ...(state.lastTickAt ? { lastTickAt: state.lastTickAt } : {}),
    ...(policyFile ? { policyFile } : {}),
    policy,
  };
}

/** What {@link setAgentPaused} does. */
export interface SetAgentPausedOptions {
  stateDir: string;
  /** true writes the pause file; false removes it. */
  paused: boolean;
  /** Who (a user name, `dashboard`, …). */
  by: string;
  reason?: string;
  policyFile?: string;
  lookup?: AgentPolicyLookup;
}

/**
 * The off switch: pausing writes `<stateDir>/agent/paused.json`, which the loop re-reads every
 * interval (and before every action), so it takes no action from the next interval on;
 * resuming removes it.
 * @example await setAgentPaused({ stateDir, paused: true, by: 'alice', reason: 'migration running' })
 */
export async function setAgentPaused(options: SetAgentPausedOptions): Promise<AgentStatus> {
  const { dir, pauseFile } = agentStatePaths(options.stateDir);
  if (options.paused) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const pause: AgentPause = { by: options.by, at: new Date().toISOString(), ...(options.reason ? { reason: options.reason } : {}) };
    writeFileSync(pauseFile, `${JSON.stringify(pause)}\n`, { mode: 0o600 });
  } else {
    rmSync(pauseFile, { force: true });
  }
  return readAgentStatus({ stateDir: options.stateDir, ...(options.policyFile ? { policyFile: options.policyFile } : {}), ...(options.lookup ? { lookup: options.lookup } : {}) });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie has exited: it only waits for its parent to reap it.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}
