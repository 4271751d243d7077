import { SkillReferenceSchema } from '@pgcluster/skill-kit';
import { z } from 'zod';
import { CHECK_IDS } from '../health/check-catalogue';
import { LOG_CATEGORIES } from './classify-log-entry';

const DURATION = /^([1-9][0-9]{0,4})(m|h|d)$/;

/**
 * A duration like 30m, 6h or 7d, in milliseconds.
 * @example durationMs('6h') // 21600000
 */
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new RangeError(`not a duration: ${text}`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}

/**
 * Input of `monitoring-logs`.
 * @example LogsInput.parse({ since: '6h', period: '1h', category: ['deadlocks'] })
 */
export const LogsInput = z.object({
  since: z.string().regex(DURATION, 'must be a duration like 30m, 6h or 7d').default('24h').describe('Only entries newer than this: 30m, 6h, 7d.'),
  period: z.string().regex(DURATION, 'must be a duration like 10m, 1h or 1d').default('1h').describe('Length of the periods counts are grouped by: 10m, 1h, 1d.'),
  category: z.array(z.enum(LOG_CATEGORIES)).optional().describe('Only these categories; default all.'),
  top: z.number().int().min(1).max(100).default(10).describe('How many distinct errors to list.'),
  maxBytes: z.number().int().min(4096).max(256 * 1024 * 1024).default(8 * 1024 * 1024).describe('Read at most the last this many bytes of each node\'s log.'),
  connectTimeoutMs: z.number().int().min(100).max(60_000).default(2_000).describe('Give up connecting to a node after this long, ms.'),
});
/** Input of `monitoring-logs` (after defaults). */
export type LogsInput = z.output<typeof LogsInput>;

/**
 * `data` of `monitoring-logs`.
 * @example report.categories.find((c) => c.category === 'deadlocks')?.entries
 */
export const LogsReport = z.object({
  since: z.string().describe('Start of the window (ISO time).'),
  until: z.string().describe('End of the window (ISO time).'),
  nodes: z
    .array(
      z.object({
        name: z.string(),
        format: z.enum(['jsonlog', 'stderr']).nullable().describe('How the log was parsed.'),
        file: z.string().nullable().describe('The log file read (path on the node).'),
        via: z.enum(['pg_read_file', 'local']).nullable().describe('Read through the server or from this machine.'),
        truncated: z.boolean().describe('Only the tail was read (maxBytes).'),
        entries: z.number().int().describe('Entries in the window.'),
        skipped: z.string().optional().describe('Why no log could be read.'),
      }),
    )
    .describe('Every node and its log.'),
  categories: z
    .array(
      z.object({
        category: z.enum(LOG_CATEGORIES),
        entries: z.number().int().describe('Entries in the window.'),
        byNode: z.record(z.string(), z.number().int()).describe('Count per node.'),
        check: z.enum(CHECK_IDS).nullable().describe('The monitoring-health check that watches the same thing.'),
        recommendation: SkillReferenceSchema.describe('What to run next.'),
      }),
    )
    .describe('Categories with at least one entry, most frequent first.'),
  periods: z
    .array(z.object({ start: z.string().describe('Period start (ISO time).'), category: z.enum(LOG_CATEGORIES), entries: z.number().int() }))
    .describe('Counts per period and category (periods with entries only).'),
  topErrors: z
    .array(
      z.object({
        message: z.string().describe('The message with values taken out.'),
        category: z.enum(LOG_CATEGORIES),
        severity: z.string(),
        sqlstate: z.string().nullable(),
        occurrences: z.number().int(),
        firstSeen: z.string(),
        lastSeen: z.string(),
        nodes: z.array(z.string()),
      }),
    )
    .describe('The most frequent distinct errors: WARNING and above, plus crashes, checkpoint, archive and autovacuum-cancel messages logged at LOG.'),
  slowStatements: z
    .array(z.object({ statement: z.string().describe('Normalised: every literal is ?.'), occurrences: z.number().int(), maxSeconds: z.number(), meanSeconds: z.number() }))
    .describe('Statements logged by log_min_duration_statement, slowest first.'),
});
/** `data` of `monitoring-logs`. */
export type LogsReport = z.infer<typeof LogsReport>;
