import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The logging collector's folder, inside the data directory (so a copied data directory logs into its own). */
export const LOG_DIRECTORY = 'log';

/**
 * The files a node's server log is made of, oldest first: pg_ctl's own log (`logFile`: what the
 * server writes before its logging collector starts) and every file of the collector's folder
 * (`<dataDir>/log`, one per start or rotation; `.json` for jsonlog).
 * @example serverLogFiles('/tmp/c/node1/data', '/tmp/c/node1/server.log') // ['/tmp/c/node1/server.log', '/tmp/c/node1/data/log/postgresql-….json']
 */
export function serverLogFiles(dataDir: string | undefined, logFile: string | undefined): string[] {
  const files = logFile && existsSync(logFile) ? [logFile] : [];
  const dir = dataDir ? join(dataDir, LOG_DIRECTORY) : undefined;
  if (dir && existsSync(dir)) files.push(...readdirSync(dir).sort().map((f) => join(dir, f)));
  return files;
}

/**
 * One jsonlog record as a line of the plain stderr format (`%m [%p] user@db SEVERITY:  message`),
 * followed by its DETAIL, HINT, CONTEXT and STATEMENT lines; a line that is not JSON is kept as it is.
 * @example renderJsonlogLine('{"timestamp":"2026-01-01 00:00:00.000 GMT","pid":7,"error_severity":"LOG","message":"ready"}') // '2026-01-01 00:00:00.000 GMT [7] @ LOG:  ready'
 */
export function renderJsonlogLine(line: string): string {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const prefix = `${String(r['timestamp'] ?? '')} [${String(r['pid'] ?? '')}] ${String(r['user'] ?? '')}@${String(r['dbname'] ?? '')} `;
  const parts = [`${prefix}${String(r['error_severity'] ?? 'LOG')}:  ${String(r['message'] ?? '')}`];
  for (const [key, label] of [['detail', 'DETAIL'], ['hint', 'HINT'], ['context', 'CONTEXT'], ['statement', 'STATEMENT']] as const) {
    if (r[key] !== undefined) parts.push(`${prefix}${label}:  ${String(r[key])}`);
  }
  return parts.join('\n');
}

/**
 * The last `lines` lines of a node's server log, every file of {@link serverLogFiles} in order,
 * jsonlog records rendered as plain lines ({@link renderJsonlogLine}).
 * @example readServerLog(node.dataDir, node.logFile, 50)
 */
export function readServerLog(dataDir: string | undefined, logFile: string | undefined, lines: number): string {
  const files = serverLogFiles(dataDir, logFile);
  if (files.length === 0) return '(no log yet)';
  const all: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8').trimEnd();
    if (!text) continue;
    const json = file.endsWith('.json');
    for (const line of text.split('\n')) all.push(json ? renderJsonlogLine(line) : line);
  }
  return all.join('\n').split('\n').slice(-lines).join('\n');
}
