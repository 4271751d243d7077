/** One server log entry, as parsed from jsonlog or stderr lines (statement text never kept raw). */
export interface LogEntry {
  at: Date;
  pid: number | null;
  severity: string;
  /** SQLSTATE (jsonlog only; stderr lines carry none with the project's log_line_prefix). */
  sqlstate: string | null;
  message: string;
  /** The statement of a `duration: … statement:` line, still raw: normalise before output. */
  durationMs?: number;
  statement?: string;
}

const SEVERITIES = 'DEBUG[1-5]?|LOG|INFO|NOTICE|WARNING|ERROR|FATAL|PANIC';
// '%m [%p] %q%u@%d ': "2026-11-30 08:40:14.306 GMT [9734] app@db ERROR:  message"
const STDERR_LINE = new RegExp(`^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d(?:\\.\\d+)? [A-Za-z0-9+:-]+) \\[(\\d+)\\] (?:\\S*@\\S* )?(${SEVERITIES}):  (.*)$`);
const DURATION = /^duration: (\d+(?:\.\d+)?) ms {2}(?:statement|execute [^:]*|parse [^:]*|bind [^:]*): ([\s\S]*)$/;

/**
 * A log timestamp (`2026-11-30 08:40:14.306 GMT`) as a Date; GMT/UTC understood exactly, other
 * zones through Date.parse.
 * @example parseLogTime('2026-11-30 08:40:14.306 GMT').toISOString() // '2026-11-30T08:40:14.306Z'
 */
export function parseLogTime(text: string): Date {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) (GMT|UTC)$/.exec(text);
  return new Date(m ? `${m[1]}T${m[2]}Z` : text);
}

function withDuration(entry: LogEntry): LogEntry {
  const d = DURATION.exec(entry.message);
  return d ? { ...entry, durationMs: Number(d[1]), statement: d[2]! } : entry;
}

/**
 * Parses jsonlog lines (PostgreSQL 15 `log_destination = 'jsonlog'`); lines that are not JSON are skipped.
 * @example parseJsonLog('{"timestamp":"2026-11-30 08:40:14.306 GMT","pid":1,"error_severity":"LOG","message":"hi"}')
 */
export function parseJsonLog(text: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      entries.push(
        withDuration({
          at: parseLogTime(String(j['timestamp'] ?? '')),
          pid: typeof j['pid'] === 'number' ? j['pid'] : null,
          severity: String(j['error_severity'] ?? 'LOG'),
          sqlstate: typeof j['state_code'] === 'string' ? j['state_code'] : null,
          message: String(j['message'] ?? ''),
        }),
      );
    } catch {
      // A line cut by the tail window: skip it.
    }
  }
  return entries;
}

/**
 * Parses stderr log lines written with the project's `log_line_prefix = '%m [%p] %q%u@%d '`.
 * DETAIL/HINT/STATEMENT/CONTEXT lines and continuation lines are dropped (they may carry values),
 * except the continuation of a `duration: … statement:` line, which belongs to its statement.
 *
 * @example parseStderrLog('2026-11-30 08:40:14.306 GMT [9734] LOG:  database system is ready to accept connections')
 */
export function parseStderrLog(text: string): LogEntry[] {
  const entries: LogEntry[] = [];
  let last: LogEntry | undefined;
  for (const line of text.split('\n')) {
    const m = STDERR_LINE.exec(line);
    if (m) {
      last = { at: parseLogTime(m[1]!), pid: Number(m[2]), severity: m[3]!, sqlstate: null, message: m[4]! };
      entries.push(last);
    } else if (last && /^\s/.test(line) && DURATION.test(last.message)) {
      last.message += `\n${line}`;
    } else if (!/^\S.* \[\d+\] /.test(line)) {
      last = line.trim() === '' ? last : undefined;
    } else {
      last = undefined;
    }
  }
  return entries.map(withDuration);
}
