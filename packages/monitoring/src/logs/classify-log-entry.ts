import type { SkillReference } from '@pgcluster/skill-kit';
import type { CheckId } from '../health/check-catalogue';
import { ref } from '../health/node-check';
import type { LogEntry } from './log-entry';

/** Categories of log entries; one tuple yields the type, the validator and the CLI choices. */
export const LOG_CATEGORIES = [
  'authentication_failures',
  'connection_failures',
  'too_many_connections',
  'deadlocks',
  'lock_timeouts',
  'statement_timeouts',
  'autovacuum_cancelled',
  'checkpoints_too_frequent',
  'archive_failures',
  'out_of_memory',
  'crashes',
  'restarts',
  'checksum_failures',
  'wraparound_warnings',
  'slow_statements',
  'audit_events',
  'other_errors',
] as const;
/** One of {@link LOG_CATEGORIES}. */
export type LogCategory = (typeof LOG_CATEGORIES)[number];

interface Rule {
  category: LogCategory;
  sqlstates?: readonly string[];
  pattern?: RegExp;
}

// First match wins; SQLSTATEs when the log has them (jsonlog), message patterns otherwise.
const RULES: readonly Rule[] = [
  // pgaudit's lines (security-pgaudit): `AUDIT: SESSION,<statement id>,<substatement id>,<class>,<command>,…`, logged at LOG.
  { category: 'audit_events', pattern: /^AUDIT: (?:SESSION|OBJECT),\d+,\d+,/ },
  { category: 'slow_statements', pattern: /^duration: \d/ },
  { category: 'authentication_failures', sqlstates: ['28P01', '28000'], pattern: /authentication failed|no pg_hba\.conf entry|role ".*" does not exist|is not permitted to log in/ },
  { category: 'too_many_connections', sqlstates: ['53300'], pattern: /too many clients|remaining connection slots are reserved|too many connections for/ },
  { category: 'deadlocks', sqlstates: ['40P01'], pattern: /^deadlock detected/ },
  { category: 'lock_timeouts', sqlstates: ['55P03'], pattern: /lock timeout/ },
  { category: 'statement_timeouts', pattern: /canceling statement due to statement timeout/ },
  { category: 'autovacuum_cancelled', pattern: /canceling autovacuum task/ },
  { category: 'checkpoints_too_frequent', pattern: /checkpoints are occurring too frequently/ },
  { category: 'archive_failures', pattern: /archive command failed|archiving write-ahead log file .* failed/ },
  { category: 'out_of_memory', sqlstates: ['53200'], pattern: /out of memory/ },
  // A backend killed by a signal (SIGKILL also from the kernel's OOM killer) makes the postmaster reset every session.
  { category: 'crashes', pattern: /was terminated by signal|terminating any other active server processes|database system was not properly shut down|all server processes terminated; reinitializing/ },
  { category: 'restarts', pattern: /database system is ready to accept|database system is shut down|database system was interrupted/ },
  { category: 'checksum_failures', sqlstates: ['XX001'], pattern: /page verification failed|checksum/ },
  { category: 'wraparound_warnings', pattern: /must be vacuumed within|to avoid (transaction ID |multixact )?wraparound|wraparound data loss/ },
  { category: 'connection_failures', sqlstates: ['08P01', '08006', '08003'], pattern: /could not receive data from client|unexpected EOF on client connection|connection reset by peer|could not accept SSL connection/ },
];

/**
 * The category of one log entry, or null when it is none of them (an informational line).
 * ERROR/FATAL/PANIC entries that match no rule are `other_errors`.
 *
 * @example classifyLogEntry({ severity: 'ERROR', sqlstate: '40P01', message: 'deadlock detected', at: new Date(), pid: 1 }) // 'deadlocks'
 */
export function classifyLogEntry(entry: LogEntry): LogCategory | null {
  for (const rule of RULES) {
    // A statement timeout and a user cancel share 57014: only the message tells them apart.
    if ((entry.sqlstate && rule.sqlstates?.includes(entry.sqlstate)) || rule.pattern?.test(entry.message)) return rule.category;
  }
  return ['ERROR', 'FATAL', 'PANIC'].includes(entry.severity) ? 'other_errors' : null;
}

/** What each category links to: the check that watches it and the skill to run next. */
export const LOG_CATEGORY_LINKS: Readonly<Record<LogCategory, { check: CheckId | null; recommendation: SkillReference }>> = {
  authentication_failures: { check: null, recommendation: ref('security-audit', {}, 'repeated failures: a wrong password in an application, or someone guessing') },
  connection_failures: { check: null, recommendation: { skill: 'cluster-status', input: {}, why: 'clients drop connections: network or client crashes' } },
  too_many_connections: { check: 'connection_saturation', recommendation: { skill: 'monitoring-health', input: { checks: ['connection_saturation', 'idle_in_transaction'] } } },
  deadlocks: { check: 'deadlocks', recommendation: { skill: 'monitoring-health', input: { category: ['locks'] } } },
  lock_timeouts: { check: 'lock_waits', recommendation: { skill: 'monitoring-health', input: { category: ['locks'] } } },
  statement_timeouts: { check: 'long_running_query', recommendation: { skill: 'monitoring-performance', input: {} } },
  autovacuum_cancelled: { check: 'autovacuum_overdue', recommendation: { skill: 'monitoring-health', input: { category: ['vacuum'] } } },
  checkpoints_too_frequent: { check: 'requested_checkpoints', recommendation: { skill: 'monitoring-performance', input: {} } },
  archive_failures: { check: 'archiving_failing', recommendation: { skill: 'monitoring-health', input: { checks: ['archiving_failing'] } } },
  out_of_memory: { check: null, recommendation: { skill: 'monitoring-performance', input: {}, why: 'find the statements using the most memory (sorts, hashes)' } },
  crashes: { check: 'recently_restarted', recommendation: { skill: 'cluster-status', input: {}, why: 'every session was reset: see whether every node is back, then find the cause (OOM killer, a crashing extension)' } },
  restarts: { check: 'recently_restarted', recommendation: { skill: 'cluster-status', input: {} } },
  checksum_failures: { check: null, recommendation: { skill: 'cluster-backup', input: { action: 'list' }, why: 'data corruption: find a good backup before anything else' } },
  wraparound_warnings: { check: 'xid_wraparound', recommendation: { skill: 'monitoring-health', input: { category: ['transactions'] } } },
  slow_statements: { check: null, recommendation: { skill: 'monitoring-performance', input: {} } },
  audit_events: { check: null, recommendation: { skill: 'security-audit', input: { category: ['roles', 'privileges'] }, why: "pgaudit's record of schema, role and data changes: review who holds the roles that made them" } },
  other_errors: { check: null, recommendation: { skill: 'monitoring-logs', input: {}, why: 'read the top errors' } },
};

/**
 * A log message with values taken out: quoted literals, numbers, and double-quoted text except
 * after words that introduce a name (relation, index, role …). Security: never a value or a row.
 *
 * @example normaliseLogMessage('invalid input syntax for type integer: "abc"') // 'invalid input syntax for type integer: "?"'
 */
export function normaliseLogMessage(message: string): string {
  return message
    .split('\n')[0]!
    .replace(/'(?:[^']|'')*'?/g, "'?'")
    .replace(/(?<!\b(?:relation|table|index|constraint|column|role|user|database|schema|function|sequence|slot|extension|type|view|trigger|for|of|on|in)) "[^"]*"/g, ' "?"')
    .replace(/(^|[^\w$."])(-?\d+(?:\.\d+)?)\b/g, '$1?')
    .slice(0, 300);
}
