import type { Envelope } from '../skill/skill-meta';

/**
 * The envelope as exactly one JSON document (indented, one trailing newline): what stdout
 * carries with `--format json`. BigInts become numbers when safe, else strings.
 *
 * @example
 * ```ts
 * process.stdout.write(renderJson(envelope))
 * ```
 */
export function renderJson(envelope: Envelope): string {
  return `${JSON.stringify(envelope, jsonSafe, 2)}\n`;
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
}
