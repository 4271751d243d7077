import type { Finding, PerformanceReport, StatementStats } from '@pgcluster/monitoring';
import type { AgentPolicy } from '../policy/agent-policy';
import type { AgentStateFile } from '../store/agent-state-file';

/** The check id of a slow frequent statement (not a monitoring-health check: the agent's own, from pg_stat_statements). */
export const SLOW_STATEMENT = 'slow_statement';

/**
 * Slow frequent statements, judged on the window since the previous watch (pg_stat_statements
 * counts since its reset, so a statement an index fixed stops being slow in the next window):
 * at least `minCalls` calls averaging at least `meanMs`. A statement first seen counts from the
 * reset. Each becomes a `slow_statement` finding whose remediation is maintenance-optimize
 * with `apply` (it creates the index, measures, and keeps it only when the gain is real).
 * Updates `state.statements` to this watch's counters.
 * @example const findings = slowStatementFindings(report, policy, state)
 */
export function slowStatementFindings(report: PerformanceReport, policy: AgentPolicy, state: AgentStateFile): Finding[] {
  const { meanMs, minCalls } = policy.slowStatements;
  const previous = state.statements ?? {};
  const next: Record<string, { calls: number; totalSeconds: number }> = {};
  const findings = new Map<string, Finding>();
  for (const s of report.statements) {
    next[s.key] = { calls: s.calls, totalSeconds: s.totalSeconds };
    const window = windowOf(s, previous[s.key]);
    if (window.calls < minCalls) continue;
    const mean = (window.totalSeconds / window.calls) * 1000;
    if (mean < meanMs) continue;
    const object = `${s.database}:${s.queryId}`;
    if (findings.has(object)) continue;
    findings.set(object, {
      check: SLOW_STATEMENT,
      category: 'indexes',
      severity: 'warning',
      node: s.node,
      object,
      value: Math.round(mean * 10) / 10,
      threshold: meanMs,
      unit: 'ms',
      message: `statement ${s.queryId} in ${s.database} ran ${window.calls} times since the last watch, ${Math.round(mean)} ms on average`,
      recommendation: { skill: 'maintenance-optimize', input: { queryId: s.queryId, database: s.database, apply: true }, why: 'find the missing index, create it, keep it only when the statement got faster' },
    });
  }
  state.statements = next;
  return [...findings.values()];
}

/** The counters since the previous watch; a reset (counters went down) or a new statement counts from zero. */
function windowOf(s: StatementStats, before: { calls: number; totalSeconds: number } | undefined): { calls: number; totalSeconds: number } {
  if (!before || before.calls > s.calls) return { calls: s.calls, totalSeconds: s.totalSeconds };
  return { calls: s.calls - before.calls, totalSeconds: s.totalSeconds - before.totalSeconds };
}
