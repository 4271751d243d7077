import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { SkillReference } from '@pgcluster/skill-kit';
import { agentStatePaths } from './agent-state-paths';

/** An action the agent was about to run or ran, kept to rate-limit and to never run it twice. */
export interface AgentActionRecord {
  /** The outcome id it belongs to. */
  outcomeId: string;
  /** `skill` + its input, the identity of "the same action". */
  key: string;
  check: string;
  node: string;
  object: string;
  action: SkillReference;
  /** When it started (ISO). */
  at: string;
}

/** A finding the agent is tracking (seen in the last watch). */
export interface OpenFinding {
  /** When it was first seen (ISO); MTTR counts from here. */
  detectedAt: string;
  lastSeenAt: string;
  /** The last decision recorded for it (decision + reason), so each is recorded once. */
  lastDecision?: string;
  /** When a person was told about it. */
  escalatedAt?: string;
}

/**
 * The loop's state file: written before an action (the in-flight marker) and after every tick,
 * so a restarted agent knows what it did and never runs an action twice.
 */
export interface AgentStateFile {
  /** The process that runs (or ran) the loop. */
  pid?: number;
  startedAt?: string;
  /** Set when the loop ended cleanly. */
  stoppedAt?: string;
  lastTickAt?: string;
  /** The action being run right now; still here after a crash, so a restart does not run it again. */
  inFlight?: AgentActionRecord;
  /** Actions of the last day, newest last (rate limits, cooldowns). */
  actions: AgentActionRecord[];
  /** Findings seen in the last watch, by `check|node|object`. */
  open?: Record<string, OpenFinding>;
  /** pg_stat_statements counters at the previous watch, by `node:queryid` (slow_statement judges the window since). */
  statements?: Record<string, { calls: number; totalSeconds: number }>;
  /** The cluster stopped answering at this time (ISO); cleared when it answers again. */
  unreachableSince?: string;
}

/**
 * Reads the state file; an absent or unreadable file is an empty state.
 * @example const state = readAgentStateFile(stateDir)
 */
export function readAgentStateFile(stateDir: string): AgentStateFile {
  try {
    const raw = JSON.parse(readFileSync(agentStatePaths(stateDir).stateFile, 'utf8')) as Partial<AgentStateFile>;
    return { ...raw, actions: Array.isArray(raw.actions) ? raw.actions : [] };
  } catch {
    return { actions: [] };
  }
}

/**
 * Writes the state file atomically (a temporary file renamed over it, mode 600).
 * @example writeAgentStateFile(stateDir, { ...state, lastTickAt: new Date().toISOString() })
 */
export function writeAgentStateFile(stateDir: string, state: AgentStateFile): void {
  const { dir, stateFile } = agentStatePaths(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${stateFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, stateFile);
}
