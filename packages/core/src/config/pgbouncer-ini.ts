import { ConfigError } from '../errors/pgcluster-error';

/**
 * Sets values in the `[pgbouncer]` section of a `pgbouncer.ini` text: a key's existing line is
 * replaced (comments and every other line are kept), a missing key is added at the end of the
 * section, before its trailing blank lines. Numbers are written as integers; strings as given
 * (the caller validated them: PgBouncer's ini has no quoting).
 *
 * @throws ConfigError naming `pgbouncer.configFile` when the text has no `[pgbouncer]` section.
 * @example
 * ```ts
 * setPgbouncerIniValues('[pgbouncer]\ndefault_pool_size = 10\n', { default_pool_size: 30, client_tls_sslmode: 'prefer' })
 * // '[pgbouncer]\ndefault_pool_size = 30\nclient_tls_sslmode = prefer\n'
 * ```
 */
export function setPgbouncerIniValues(text: string, values: Readonly<Record<string, string | number>>): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^\s*\[pgbouncer\]\s*$/i.test(l));
  if (start < 0) throw new ConfigError('pgbouncer.configFile has no [pgbouncer] section');
  let end = lines.findIndex((l, i) => i > start && /^\s*\[[^\]]+\]\s*$/.test(l));
  if (end < 0) end = lines.length;
  const line = (key: string) => {
    const value = values[key]!;
    return `${key} = ${typeof value === 'number' ? Math.trunc(value) : value}`;
  };
  const missing = new Set(Object.keys(values));
  for (let i = start + 1; i < end; i++) {
    const key = /^\s*([a-z_]+)\s*=/i.exec(lines[i]!)?.[1]?.toLowerCase();
    if (key !== undefined && key in values) {
      lines[i] = line(key);
      missing.delete(key);
    }
  }
  let at = end;
  while (at > start + 1 && lines[at - 1]!.trim() === '') at--;
  lines.splice(at, 0, ...[...missing].map(line));
  return lines.join('\n');
}
