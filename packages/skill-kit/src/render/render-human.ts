import { referenceCommand } from '../skill/reference-command';
import type { Envelope, Status } from '../skill/skill-meta';

/** How {@link renderHuman} writes. */
export interface HumanOptions {
  /** ANSI colours (the CLI sets it on a TTY unless `NO_COLOR` is set); default false. */
  color?: boolean;
  /** Lines wider than this turn a table into one block per record; default 100 (the CLI passes the terminal's width). */
  width?: number;
}

/** Table cells longer than this are cut at a word boundary, with an ellipsis. */
const MAX_CELL = 60;
/** The width a table may take before it becomes blocks, unless told otherwise. */
const DEFAULT_WIDTH = 100;
type Scalar = string | number | boolean | bigint | null | undefined;
type Paint = (code: number, text: string) => string;

const MARKS: Readonly<Record<Status, { mark: string; color: number }>> = {
  ok: { mark: '✔', color: 32 },
  healthy: { mark: '✔', color: 32 },
  degraded: { mark: '!', color: 33 },
  critical: { mark: '✖', color: 31 },
  planned: { mark: '○', color: 36 },
  refused: { mark: '■', color: 33 },
  error: { mark: '✖', color: 31 },
};

/**
 * The envelope for a person: a verdict line first (status, alert count, time), the error and its
 * hint, the plan (dry runs and refusals), the data (tables for lists of records, `key: value`
 * otherwise; nulls and empty fields left out; sizes, durations and shares rounded for reading),
 * alerts, recommendations as runnable command lines, how to undo, and the audit id. Each fact
 * once: data fields that repeat the envelope's status, alerts or recommendations are left out.
 *
 * @example
 * ```ts
 * process.stdout.write(renderHuman(envelope, { color: process.stdout.isTTY && !process.env.NO_COLOR }))
 * // ✔ cluster-status: healthy (42 ms)
 * //
 * // nodes:
 * //   name   role     lag_bytes
 * //   -----  -------  ---------
 * //   node1  primary  0 B
 * ```
 */
export function renderHuman(envelope: Envelope, options: HumanOptions = {}): string {
  const paint: Paint = options.color ? (code, text) => `\u001b[${code}m${text}\u001b[0m` : (_code, text) => text;
  const { mark, color } = MARKS[envelope.status] ?? { mark: '-', color: 0 };
  const counts = envelope.alerts.length ? `, ${envelope.alerts.length} alert${envelope.alerts.length === 1 ? '' : 's'}` : '';
  const sections: string[][] = [[paint(color, `${mark} ${envelope.skill}: ${envelope.status}${counts}`) + paint(2, ` (${duration(envelope.durationMs)})`)]];
  if (envelope.error) {
    sections.push([paint(31, `Error ${envelope.error.code}: ${envelope.error.message}`), ...(envelope.error.hint ? [`Hint: ${envelope.error.hint}`] : [])]);
  }
  if (envelope.plan?.length) {
    const title = envelope.status === 'planned' ? 'Plan (dry run: nothing was changed):' : 'Plan (not run):';
    sections.push([title, ...envelope.plan.map((s, i) => `  ${i + 1}. [${s.kind}] ${s.target}: ${oneLine(s.text)}`)]);
  }
  const data = withoutRepeats(envelope);
  if (data !== undefined) {
    const lines = formatValue(data, '', '', options.width ?? DEFAULT_WIDTH);
    if (lines.length) sections.push(lines);
  }
  if (envelope.alerts.length) sections.push(['Alerts:', ...envelope.alerts.map((a) => paint(33, `  ! ${a}`))]);
  if (envelope.recommendations.length) {
    sections.push([
      'Recommendations:',
      ...envelope.recommendations.flatMap((r) => [
        `  - ${r.why}`,
        ...(r.skill ? [`    ${paint(36, referenceCommand({ skill: r.skill, input: r.input ?? {} }))}${r.planned ? ' (coming: not available in this version yet)' : ''}`] : []),
      ]),
    ]);
  }
  if (envelope.rollback) {
    const how = envelope.auditId ? `pgcluster audit undo ${envelope.auditId}` : referenceCommand(envelope.rollback);
    sections.push([`Undo: ${envelope.rollback.why ?? (envelope.rollback as { description?: string }).description ?? ''} (${how})`]);
  }
  if (envelope.auditId) sections.push([paint(2, `Audit: ${envelope.auditId}`)]);
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

/**
 * A value as readable lines (the body of {@link renderHuman}), for other human views such as
 * `audit show`: nested `key: value` lines, tables for lists of records, empty fields left out.
 *
 * @example
 * ```ts
 * formatHumanValue({ id: 'a1', durationMs: 1530 }).join('\n') // 'id: a1\nduration_ms…'
 * ```
 */
export function formatHumanValue(value: unknown, width = DEFAULT_WIDTH): string[] {
  return formatValue(value, '', '', width);
}

/** The data, without fields that repeat the envelope's own status, alerts or recommendations. */
function withoutRepeats(envelope: Envelope): unknown {
  const data = envelope.data;
  if (data === null || data === undefined) return undefined;
  if (typeof data !== 'object' || Array.isArray(data)) return data;
  const repeats: Record<string, unknown> = { status: envelope.status, alerts: envelope.alerts, recommendations: envelope.recommendations };
  return Object.fromEntries(Object.entries(data).filter(([key, v]) => !(key in repeats) || JSON.stringify(v) !== JSON.stringify(repeats[key])));
}

function formatValue(value: unknown, indent: string, key: string, width: number): string[] {
  if (isEmpty(value)) return [];
  if (isScalar(value)) return [`${indent}${readable(key, value)}`];
  if (Array.isArray(value)) return formatArray(value, indent, key, width);
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
    if (isEmpty(v)) return [];
    if (isScalar(v)) return [`${indent}${k}: ${readable(k, v)}`];
    if (Array.isArray(v) && v.every(isScalar)) return [`${indent}${k}: ${v.map((x) => readable(k, x)).join(', ')}`];
    return [`${indent}${k}:`, ...formatValue(v, `${indent}  `, k, width)];
  });
}

function formatArray(items: unknown[], indent: string, key: string, width: number): string[] {
  const present = items.filter((i) => !isEmpty(i));
  if (present.every(isScalar)) return [`${indent}${present.map((x) => readable(key, x)).join(', ')}`];
  if (present.every((i) => typeof i === 'object' && !Array.isArray(i))) {
    const rows = present.map((i) => flatten(i as Record<string, unknown>));
    const lines = table(rows, indent);
    // Too wide for the screen: one block per record, titled by its first field, instead of wrapped rows.
    return lines.every((l) => l.length <= width) ? lines : blocks(rows, indent);
  }
  return present.flatMap((item) => {
    const [first = '', ...rest] = formatValue(item, `${indent}  `, key, width);
    return [`${indent}- ${first.trimStart()}`, ...rest];
  });
}

function blocks(rows: Record<string, string>[], indent: string): string[] {
  return rows.flatMap((row) => {
    const [[, title] = ['', ''], ...rest] = Object.entries(row);
    return [`${indent}${title}:`, ...rest.map(([k, v]) => `${indent}  ${k}: ${v}`)];
  });
}

/** A record's fields as table cells: nested objects as dotted columns, lists joined or counted. */
function flatten(row: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(row)) {
    const column = prefix ? `${prefix}.${k}` : k;
    if (isEmpty(v)) continue;
    if (isScalar(v)) out[column] = readable(k, v);
    else if (Array.isArray(v)) out[column] = v.every(isScalar) ? v.map((x) => readable(k, x)).join(', ') : `${v.length} item${v.length === 1 ? '' : 's'}`;
    else Object.assign(out, flatten(v as Record<string, unknown>, column));
  }
  return out;
}

function table(rows: Record<string, string>[], indent: string): string[] {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => columns.map((c) => cut(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => `${indent}${values.map((v, i) => v.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
}

function isScalar(value: unknown): value is Scalar {
  return value === null || value === undefined || (typeof value !== 'object' && typeof value !== 'function') || value instanceof Date;
}

function isEmpty(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object' && !(value instanceof Date)) return Object.values(value).every(isEmpty);
  return false;
}

/**
 * A scalar for reading, by what its field holds: bytes as kB/MB/GB, milliseconds and seconds as
 * seconds, fractions and shares as percent, other fractions to four significant digits.
 */
function readable(key: string, value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (/bytes$/i.test(key)) return bytes(value);
    if (/(^|_|[a-z])(ms|Ms)$/.test(key)) return duration(value);
    if (/(_s|_seconds|Seconds)$/.test(key)) return duration(value * 1000);
    if (/(fraction|ratio)$/i.test(key) && value >= 0 && value <= 1) return `${round(value * 100, 1)}%`;
    if (/(pct|percent|utilization)$/i.test(key)) return `${round(value, 1)}%`;
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  }
  return oneLine(String(value));
}

function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${round(v, v < 10 ? 1 : 0)} ${units[i]}`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${round(ms, ms < 10 ? 1 : 0)} ms`;
  if (ms < 120_000) return `${round(ms / 1000, 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Cuts a long table cell at the last word boundary before the limit; words are never split. */
function cut(text: string): string {
  if (text.length <= MAX_CELL) return text;
  const space = text.lastIndexOf(' ', MAX_CELL - 1);
  return `${text.slice(0, space > MAX_CELL / 2 ? space : MAX_CELL - 1).trimEnd()}…`;
}
