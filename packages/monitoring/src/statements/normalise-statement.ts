import { redactUrl } from '@pgcluster/core';

/** Longest statement text kept in output. */
export const MAX_STATEMENT_LENGTH = 400;

/**
 * A statement with every literal replaced by `?`: quoted strings (also E'', U&'' and
 * dollar-quoted bodies), numbers, and whatever follows PASSWORD; whitespace collapsed and the
 * text cut at {@link MAX_STATEMENT_LENGTH}. pg_stat_statements already replaces constants of
 * planned statements with `$n`, but keeps utility statements (ALTER ROLE … PASSWORD '…') verbatim.
 * Security: no value, row or password ever reaches the output.
 *
 * @example
 * ```ts
 * normaliseStatement("ALTER ROLE app PASSWORD 'hunter2'")      // 'ALTER ROLE app PASSWORD ?'
 * normaliseStatement('select * from t where id = $1 limit 10') // 'select * from t where id = $1 limit ?'
 * ```
 */
export function normaliseStatement(text: string): string {
  const out = redactUrl(text)
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)?\$[\s\S]*?\$\1\$/g, '?')
    .replace(/\b[eE]'(?:[^'\\]|\\[\s\S]|'')*'?/g, '?')
    .replace(/(?:[uU]&)?'(?:[^']|'')*'?/g, '?')
    .replace(/\b(password)\s+(?!\?)\S+/gi, '$1 ?')
    .replace(/(^|[^\w$.])(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\b/g, '$1?')
    .replace(/\s+/g, ' ')
    .trim();
  return out.length > MAX_STATEMENT_LENGTH ? `${out.slice(0, MAX_STATEMENT_LENGTH - 1)}…` : out;
}
