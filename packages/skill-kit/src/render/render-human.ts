import type { Envelope } from '../skill/skill-meta';

const MAX_CELL = 60;
type Scalar = string | number | boolean | bigint | null | undefined;

/**
 * The envelope for a person: a status line, the error and its hint, the plan (dry runs and
 * refusals), the data (a table for a list of flat objects, `key: value` for objects),
 * alerts, recommendations, how to undo, and the audit id.
 *
 * @example
 * ```ts
 * process.stdout.write(renderHuman(envelope))
 * // cluster-status: healthy (42 ms)
 * //
 * // nodes:
 * //   name   role     lagBytes
 * //   -----  -------  --------
 * //   node1  primary  0
 * ```
 */
export function renderHuman(envelope: Envelope): string {
  const sections: string[][] = [[`${envelope.skill}: ${envelope.status} (${envelope.durationMs} ms)`]];
  if (envelope.error) {
    sections.push([`Error ${envelope.error.code}: ${envelope.error.message}`, ...(envelope.error.hint ? [`Hint: ${envelope.error.hint}`] : [])]);
  }
  if (envelope.plan?.length) {
    const title = envelope.status === 'planned' ? 'Plan (dry run: nothing was changed):' : 'Plan (not run):';
    sections.push([title, ...envelope.plan.map((s, i) => `  ${i + 1}. [${s.kind}] ${s.target}: ${s.text}`)]);
  }
  if (envelope.data !== null && envelope.data !== undefined) sections.push(formatValue(envelope.data, ''));
  if (envelope.alerts.length) sections.push(['Alerts:', ...envelope.alerts.map((a) => `  ! ${a}`)]);
  if (envelope.recommendations.length) {
    sections.push([
      'Recommendations:',
      ...envelope.recommendations.map((r) => `  - ${r.message}${r.skill ? ` (pgcluster ${r.skill}${r.args ? ` ${r.args}` : ''})` : ''}`),
    ]);
  }
  if (envelope.rollback) {
    const how = envelope.auditId ? `pgcluster audit undo ${envelope.auditId}` : `pgcluster ${envelope.rollback.skill}`;
    sections.push([`Undo: ${envelope.rollback.description} (${how})`]);
  }
  if (envelope.auditId) sections.push([`Audit: ${envelope.auditId}`]);
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

function formatValue(value: unknown, indent: string): string[] {
  if (isScalar(value)) return [`${indent}${cell(value)}`];
  if (Array.isArray(value)) return formatArray(value, indent);
  return Object.entries(value as Record<string, unknown>).flatMap(([key, v]) => {
    if (isScalar(v)) return [`${indent}${key}: ${cell(v)}`];
    if (Array.isArray(v) && (v.length === 0 || v.every(isScalar))) return [`${indent}${key}: ${v.length ? v.map(cell).join(', ') : '(none)'}`];
    return [`${indent}${key}:`, ...formatValue(v, `${indent}  `)];
  });
}

function formatArray(items: unknown[], indent: string): string[] {
  if (items.length === 0) return [`${indent}(none)`];
  if (items.every(isScalar)) return [`${indent}${items.map(cell).join(', ')}`];
  if (items.every(isFlatObject)) return table(items as Record<string, Scalar>[], indent);
  return items.flatMap((item, i) => [`${indent}- [${i}]`, ...formatValue(item, `${indent}  `)]);
}

function table(rows: Record<string, Scalar>[], indent: string): string[] {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => `${indent}${values.map((v, i) => v.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)];
}

function isScalar(value: unknown): value is Scalar {
  return value === null || value === undefined || (typeof value !== 'object' && typeof value !== 'function') || value instanceof Date;
}

function isFlatObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.values(value).every(isScalar);
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = (value instanceof Date ? value.toISOString() : String(value)).replace(/\s+/g, ' ');
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 3)}...` : text;
}
