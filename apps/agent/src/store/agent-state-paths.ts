import { join } from 'node:path';

/** The agent's files under `<stateDir>/agent/`. */
export interface AgentStatePaths {
  /** `<stateDir>/agent` */
  dir: string;
  /** The loop's state (pid, last tick, in-flight action, recent actions): `state.json`. */
  stateFile: string;
  /** Every outcome, one JSON line each (a later line with the same id supersedes): `outcomes.jsonl`. */
  outcomesFile: string;
  /** Present while a person has paused the agent: `paused.json` (`{ by, at, reason? }`). */
  pauseFile: string;
}

/**
 * Where the agent keeps its state, under the state dir core resolves for the audit log
 * (`LoadedConfig.stateDir`).
 * @example
 * ```ts
 * const { pauseFile } = agentStatePaths(loadConfig().stateDir)
 * ```
 */
export function agentStatePaths(stateDir: string): AgentStatePaths {
  const dir = join(stateDir, 'agent');
  return {
    dir,
    stateFile: join(dir, 'state.json'),
    outcomesFile: join(dir, 'outcomes.jsonl'),
    pauseFile: join(dir, 'paused.json'),
  };
}
