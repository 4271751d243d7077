/** The parts of a postgresql:// URL. */
export interface PostgresUrlParts {
  user: string;
  password: string;
  host: string;
  port: number;
  database: string;
}

/**
 * Builds a postgresql:// URL, percent-encoding user, password and database.
 *
 * @example
 * ```ts
 * postgresUrl({ user: 'app', password: 'p@ss', host: '127.0.0.1', port: 54321, database: 'app' })
 * // 'postgresql://app:p%40ss@127.0.0.1:54321/app'
 * ```
 */
export function postgresUrl(parts: PostgresUrlParts): string {
  const e = encodeURIComponent;
  return `postgresql://${e(parts.user)}:${e(parts.password)}@${parts.host}:${parts.port}/${e(parts.database)}`;
}

/**
 * The same URL pointing at another database.
 * @example withDatabase('postgresql://u:p@h:1/a', 'b') // 'postgresql://u:p@h:1/b'
 */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}
