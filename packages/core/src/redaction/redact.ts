/** Keys whose values are secrets wherever they appear in an input, a config or a log record. */
export const SECRET_KEY_PATTERN = /pass(word)?|secret|token|api[-_]?key|credential|private[-_]?key|^key$/i;

/** What a redacted value is replaced with. */
export const REDACTED = '***';

/**
 * Replaces the password of a `postgresql://` URL (or a `password=` keyword) with `***`.
 *
 * @example
 * ```ts
 * redactUrl('postgresql://app:s3cret@db:5432/app') // 'postgresql://app:***@db:5432/app'
 * ```
 */
export function redactUrl(text: string): string {
  return text
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):([^@\s]*)@/gi, `$1:${REDACTED}@`)
    .replace(/(password\s*=\s*)('[^']*'|\S+)/gi, `$1${REDACTED}`);
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
