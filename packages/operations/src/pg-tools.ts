/**
 * `@pgcluster/operations/pg-tools` — where the PostgreSQL client programs are and the libpq
 * environment that points them at a node, for callers that run `pg_dump`, `psql` or
 * `pg_basebackup` themselves (benchmarks comparing against them). Not part of the main entry point.
 *
 * @example
 * ```ts
 * import { libpqEnv, pgBinDir } from '@pgcluster/operations/pg-tools'
 * execFileSync(join(pgBinDir(), 'pg_dump'), ['-Fc', '-f', 'out.dump'], { env: { ...process.env, ...libpqEnv(url) } })
 * ```
 * @packageDocumentation
 */
export { FALLBACK_PG_BINDIR, libpqEnv, pgBinDir } from './backup/pg-tools';
