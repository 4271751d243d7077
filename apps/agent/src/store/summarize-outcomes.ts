import type { AgentOutcome } from './outcome-store';

/** Success and time to recover for one check. */
export interface AgentCheckReport {
  check: string;
  /** Actions run for it. */
  attempts: number;
  verified: number;
  reverted: number;
  escalated: number;
  /** verified ÷ attempts, 0–1; null without attempts. */
  successRate: number | null;
  /** Mean time from detection to verified recovery, in seconds; null when none recovered. */
  mttrSeconds: number | null;
}

/** `pgcluster agent report`: per check and overall. */
export interface AgentReport {
  perCheck: AgentCheckReport[];
  overall: { attempts: number; verified: number; successRate: number | null; mttrSeconds: number | null };
}

/**
 * Success rates and MTTR per check from the outcome store. An attempt is an outcome whose
 * decision is `acted` (the agent ran an action); escalations without an action count in
 * `escalated` only.
 * @example
 * ```ts
 * const report = summarizeOutcomes(await readOutcomes({ stateDir }))
 * ```
 */
export function summarizeOutcomes(outcomes: AgentOutcome[]): AgentReport {
  const groups = new Map<string, AgentOutcome[]>();
  for (const o of outcomes) groups.set(o.check, [...(groups.get(o.check) ?? []), o]);
  const perCheck = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([check, list]) => ({ check, ...tally(list) }));
  const all = tally(outcomes);
  return { perCheck, overall: { attempts: all.attempts, verified: all.verified, successRate: all.successRate, mttrSeconds: all.mttrSeconds } };
}

function tally(list: AgentOutcome[]): Omit<AgentCheckReport, 'check'> {
  const acted = list.filter((o) => o.decision === 'acted');
  const verified = acted.filter((o) => o.result === 'verified');
  const times = verified.map((o) => o.recoverSeconds).filter((s): s is number => typeof s === 'number');
  return {
    attempts: acted.length,
    verified: verified.length,
    reverted: acted.filter((o) => o.result === 'reverted').length,
    escalated: list.filter((o) => o.decision === 'escalated' || o.result === 'escalated' || o.result === 'reverted' || o.result === 'failed').length,
    successRate: acted.length ? round(verified.length / acted.length, 4) : null,
    mttrSeconds: times.length ? round(times.reduce((a, b) => a + b, 0) / times.length, 3) : null,
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
