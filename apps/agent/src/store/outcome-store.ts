import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import type { Severity, SkillReference } from '@pgcluster/skill-kit';
import { agentStatePaths } from './agent-state-paths';

/** What the agent decided about a finding. */
export const AGENT_DECISIONS = ['observed', 'recommended', 'acted', 'escalated', 'skipped'] as const;
/** One of {@link AGENT_DECISIONS}. */
export type AgentDecision = (typeof AGENT_DECISIONS)[number];

/** How an action came out: verified (finding gone), reverted, failed, escalated, or still pending. */
export const AGENT_RESULTS = ['verified', 'reverted', 'failed', 'escalated', 'pending'] as const;
/** One of {@link AGENT_RESULTS}. */
export type AgentResult = (typeof AGENT_RESULTS)[number];

/**
 * One thing the agent did (or chose not to do) about one finding. Stored as JSON lines in
 * `<stateDir>/agent/outcomes.jsonl`; a later line with the same `id` supersedes an earlier one
 * (an action is written `pending` before it runs, then its result).
 */
export interface AgentOutcome {
  id: string;
  /** When this record was written (ISO). */
  at: string;
  check: string;
  node: string;
  object: string;
  severity: Severity;
  /** The remediation run or recommended; null when there was none. */
  action: SkillReference | null;
  decision: AgentDecision;
  /** null when nothing was run. */
  result: AgentResult | null;
  /** Audit ids of the action, its verification's rollback, … */
  auditIds: string[];
  /** When the finding was first seen (ISO). */
  detectedAt: string;
  /** When the finding was verified gone (ISO). */
  recoveredAt?: string;
  /** `recoveredAt - detectedAt` in seconds. */
  recoverSeconds?: number;
  /** What happened, in a sentence. */
  message: string;
  /** Why the decision (policy rule, rate limit, …). */
  reason?: string;
}

/** Which outcomes {@link readOutcomes} returns. */
export interface ReadOutcomesOptions {
  stateDir: string;
  /** Only outcomes at or after this. */
  since?: Date;
  /** Only outcomes at or before this. */
  until?: Date;
  /** At most this many (the newest). */
  limit?: number;
}

/**
 * Appends one outcome record (mode 600).
 * @example appendOutcome(stateDir, { ...outcome, result: 'verified', at: new Date().toISOString() })
 */
export function appendOutcome(stateDir: string, outcome: AgentOutcome): void {
  const { dir, outcomesFile } = agentStatePaths(stateDir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  appendFileSync(outcomesFile, `${JSON.stringify(outcome)}\n`, { mode: 0o600 });
}

/**
 * The agent's outcomes, newest first, the latest record of each id; unreadable lines (a crash
 * mid-write) are skipped.
 * @example
 * ```ts
 * const lastHour = await readOutcomes({ stateDir, since: new Date(Date.now() - 3_600_000) })
 * ```
 */
export async function readOutcomes(options: ReadOutcomesOptions): Promise<AgentOutcome[]> {
  let text: string;
  try {
    text = readFileSync(agentStatePaths(options.stateDir).outcomesFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const byId = new Map<string, AgentOutcome>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let record: AgentOutcome;
    try {
      record = JSON.parse(line) as AgentOutcome;
    } catch {
      continue;
    }
    if (typeof record?.id !== 'string' || typeof record.at !== 'string') continue;
    byId.delete(record.id);
    byId.set(record.id, record);
  }
  const since = options.since?.getTime() ?? -Infinity;
  const until = options.until?.getTime() ?? Infinity;
  const list = [...byId.values()]
    .filter((o) => {
      const t = Date.parse(o.at);
      return t >= since && t <= until;
    })
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  return options.limit !== undefined ? list.slice(0, Math.max(0, options.limit)) : list;
}
