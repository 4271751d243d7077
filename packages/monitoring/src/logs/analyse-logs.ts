import { PgClusterError, type ClusterConfig } from '@pgcluster/core';
import { round } from '../health/node-check';
import { normaliseStatement } from '../statements/normalise-statement';
import { classifyLogEntry, LOG_CATEGORY_LINKS, normaliseLogMessage, type LogCategory } from './classify-log-entry';
import { durationMs, type LogsReport } from './logs-schema';
import { readNodeLog, type NodeLog } from './read-node-log';

/**
 * Options of {@link analyseLogs}.
 * @example const options: AnalyseLogsOptions = { since: '6h', period: '1h', category: ['deadlocks'] }
 */
export interface AnalyseLogsOptions {
  since?: string;
  period?: string;
  category?: readonly LogCategory[];
  top?: number;
  maxBytes?: number;
  connectTimeoutMs?: number;
  /** Fixes "now" (tests). */
  now?: Date;
}

const ERROR_SEVERITIES = new Set(['WARNING', 'ERROR', 'FATAL', 'PANIC']);
/** Classified LOG-level entries that are errors all the same (a crash is logged at LOG). */
const LOGGED_AS_LOG = new Set<LogCategory>(['crashes', 'checkpoints_too_frequent', 'archive_failures', 'autovacuum_cancelled']);

/**
 * Reads every node's server log (see readNodeLog) and classifies its entries: counts per
 * category and per period, the most frequent distinct errors with first/last seen, and the
 * slow statements, each category linked to the check and the skill that follow up. Messages
 * and statements are normalised: no password, bound value or row is ever output.
 *
 * @example
 * ```ts
 * const report = await analyseLogs(loadConfig().config, { since: '24h' })
 * report.categories // [{ category: 'authentication_failures', entries: 12, … }]
 * ```
 */
export async function analyseLogs(config: ClusterConfig, options: AnalyseLogsOptions = {}): Promise<LogsReport> {
  const nodes = config.nodes;
  if (!nodes?.length) throw new PgClusterError('NOT_SUPPORTED', `cluster ${config.name} has no static "nodes" list: monitoring-logs needs one`);
  const logs = await Promise.all(
    nodes.map((n) => readNodeLog(n, { maxBytes: options.maxBytes ?? 8 * 1024 * 1024, connectTimeoutMs: options.connectTimeoutMs ?? 2_000, database: config.databases['project'] })),
  );
  return summariseLogs(logs, options);
}

/**
 * The report over already-read node logs.
 * @example summariseLogs([await readNodeLog(node, { maxBytes: 1 << 20, connectTimeoutMs: 2000 })], { since: '1h' })
 */
export function summariseLogs(logs: readonly NodeLog[], options: AnalyseLogsOptions = {}): LogsReport {
  const until = options.now ?? new Date();
  const since = new Date(until.getTime() - durationMs(options.since ?? '24h'));
  const period = durationMs(options.period ?? '1h');
  const wanted = options.category?.length ? new Set(options.category) : null;

  const categories = new Map<LogCategory, Map<string, number>>();
  const periods = new Map<string, number>();
  const errors = new Map<string, LogsReport['topErrors'][number] & { nodeSet: Set<string> }>();
  const slow = new Map<string, { count: number; maxMs: number; totalMs: number }>();
  const inWindow = new Map<string, number>();

  for (const log of logs) {
    for (const entry of log.entries) {
      if (!(entry.at >= since && entry.at <= until)) continue;
      inWindow.set(log.name, (inWindow.get(log.name) ?? 0) + 1);
      const category = classifyLogEntry(entry);
      if (!category || (wanted && !wanted.has(category))) continue;
      const byNode = categories.get(category) ?? new Map<string, number>();
      byNode.set(log.name, (byNode.get(log.name) ?? 0) + 1);
      categories.set(category, byNode);
      const start = new Date(Math.floor(entry.at.getTime() / period) * period).toISOString();
      periods.set(`${start}|${category}`, (periods.get(`${start}|${category}`) ?? 0) + 1);
      if (category === 'slow_statements' && entry.statement !== undefined) {
        const statement = normaliseStatement(entry.statement);
        const s = slow.get(statement) ?? { count: 0, maxMs: 0, totalMs: 0 };
        slow.set(statement, { count: s.count + 1, maxMs: Math.max(s.maxMs, entry.durationMs ?? 0), totalMs: s.totalMs + (entry.durationMs ?? 0) });
      } else if (ERROR_SEVERITIES.has(entry.severity) || LOGGED_AS_LOG.has(category)) {
        const message = normaliseLogMessage(entry.message);
        const key = `${entry.severity}|${entry.sqlstate ?? ''}|${message}`;
        const at = entry.at.toISOString();
        const e = errors.get(key) ?? { message, category, severity: entry.severity, sqlstate: entry.sqlstate, occurrences: 0, firstSeen: at, lastSeen: at, nodes: [], nodeSet: new Set<string>() };
        e.occurrences += 1;
        if (at < e.firstSeen) e.firstSeen = at;
        if (at > e.lastSeen) e.lastSeen = at;
        e.nodeSet.add(log.name);
        errors.set(key, e);
      }
    }
  }

  return {
    since: since.toISOString(),
    until: until.toISOString(),
    nodes: logs.map((l) => ({
      name: l.name,
      format: l.format,
      file: l.file,
      via: l.via,
      truncated: l.truncated,
      entries: inWindow.get(l.name) ?? 0,
      ...(l.skipped ? { skipped: l.skipped } : {}),
    })),
    categories: [...categories.entries()]
      .map(([category, byNode]) => ({
        category,
        entries: [...byNode.values()].reduce((a, b) => a + b, 0),
        byNode: Object.fromEntries(byNode),
        check: LOG_CATEGORY_LINKS[category].check,
        recommendation: LOG_CATEGORY_LINKS[category].recommendation,
      }))
      .sort((a, b) => b.entries - a.entries),
    periods: [...periods.entries()]
      .map(([key, entries]) => {
        const [start, category] = key.split('|') as [string, LogCategory];
        return { start, category, entries };
      })
      .sort((a, b) => a.start.localeCompare(b.start) || a.category.localeCompare(b.category)),
    topErrors: [...errors.values()]
      .sort((a, b) => b.occurrences - a.occurrences || b.lastSeen.localeCompare(a.lastSeen))
      .slice(0, options.top ?? 10)
      .map(({ nodeSet, ...e }) => ({ ...e, nodes: [...nodeSet].sort() })),
    slowStatements: [...slow.entries()]
      .map(([statement, s]) => ({ statement, occurrences: s.count, maxSeconds: round(s.maxMs / 1000, 6), meanSeconds: round(s.totalMs / s.count / 1000, 6) }))
      .sort((a, b) => b.maxSeconds - a.maxSeconds)
      .slice(0, options.top ?? 10),
  };
}
