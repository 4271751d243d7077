/** Keys whose values are secrets wherever they appear in an input, a config or a log record. */
export const SECRET_KEY_PATTERN = /pass(word)?|secret|token|api[-_]?key|credential|private[-_]?key|^key$/i;

/** What a redacted value is replaced with. */
export const REDACTED = '***';

/**
 * The one redaction of secrets inside text, used for every message, log line, plan step and
 * error: the password of any `scheme://user:password@host` URL, and the value of a
 * `password=…` / `PGPASSWORD=…` keyword (libpq conninfo, environment listings), whether bare
 * or single-quoted with `\'` escapes, become `***`.
 *
 * @example
 * ```ts
 * redactUrl('postgresql://app:s3cret@db:5432/app') // 'postgresql://app:***@db:5432/app'
 * redactUrl("host=db password='it\\'s' user=app") // "host=db password='***' user=app"
 * redactUrl('PGPASSWORD=s3cret pg_dump -h db') // 'PGPASSWORD=*** pg_dump -h db'
 * ```
 */
export function redactUrl(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):([^@\s]*)@/gi, `$1:${REDACTED}@`)
    .replace(/(\b(?:pg)?pass(?:word|wd)\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'&]+)/gi, (_, key: string, value: string) =>
      // A quoted value stays quoted, so a redacted conninfo (or a plan's SQL around it) still parses.
      value.startsWith("'") ? `${key}'${REDACTED}'` : `${key}${REDACTED}`,
    );
}

/**
 * Deep-copies a JSON-like value with every secret replaced: values under a key matching
 * {@link SECRET_KEY_PATTERN}, and passwords inside connection URLs in any string.
 *
 * @example
 * ```ts
 * redactSecrets({ user: 'app', password: 'x', url: 'postgresql://a:b@h/d' })
 * // { user: 'app', password: '***', url: 'postgresql://a:***@h/d' }
 * ```
 */
export function redactSecrets<T>(value: T): T {
  return redactValue(value, undefined) as T;
}

function redactValue(value: unknown, key: string | undefined): unknown {
  if (key !== undefined && SECRET_KEY_PATTERN.test(key) && value !== null && value !== undefined && typeof value !== 'object') {
    return REDACTED;
  }
  if (typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, undefined));
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(v, k)]));
  }
  return value;
}

/**
 * Where a `JSON.parse` failure happened, without quoting the text: V8's own message quotes a
 * snippet of its input, which may hold a password (a config file, a `--input` document).
 *
 * @example
 * ```ts
 * try { JSON.parse(text) } catch (e) { throw new Error(`not valid JSON (${jsonSyntaxError(e, text)})`) }
 * // 'not valid JSON (syntax error at line 3, column 14)'
 * ```
 */
export function jsonSyntaxError(error: unknown, text: string): string {
  // Security: only the position survives; the message and its quoted snippet are dropped.
  const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
  if (position === undefined) return text.trim() === '' ? 'the text is empty' : 'syntax error';
  const before = text.slice(0, Number(position)).split('\n');
  return `syntax error at line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}
