import { chownSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { ConfigError, setPgbouncerIniValues } from '@pgcluster/core';
import type { PgbouncerSizes } from './scale-schema';

/** The `pgbouncer.ini` keys cluster-scale changes, by the field of {@link PgbouncerSizes} they hold. */
const INI_KEYS = { defaultPoolSize: 'default_pool_size', reservePoolSize: 'reserve_pool_size', maxDbConnections: 'max_db_connections' } as const;

/**
 * Checks that `pgbouncer.ini` can be read and has a `[pgbouncer]` section (a dry run calls it).
 * @throws ConfigError naming `pgbouncer.configFile` when it cannot.
 * @example checkPgbouncerIni('/etc/pgbouncer/pgbouncer.ini')
 */
export function checkPgbouncerIni(file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`pgbouncer.configFile ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'Point pgbouncer.configFile at the pgbouncer.ini PgBouncer runs with, on this machine, or remove it.',
    });
  }
  setPgbouncerIniValues(text, {});
}

/**
 * Writes the pool sizes into `pgbouncer.ini`, so that a RELOAD (Patroni's role-change callback
 * sends one on every failover) or a restart keeps them: a new file next to it, same mode and
 * owner, renamed over the old one (PgBouncer never reads half a file).
 *
 * @throws ConfigError when the file cannot be read or written.
 * @example persistPgbouncerSizes('/etc/pgbouncer/pgbouncer.ini', { defaultPoolSize: 30, reservePoolSize: 0, maxDbConnections: 0 })
 */
export function persistPgbouncerSizes(file: string, sizes: PgbouncerSizes): void {
  checkPgbouncerIni(file);
  const values = Object.fromEntries(Object.entries(INI_KEYS).map(([field, key]) => [key, sizes[field as keyof PgbouncerSizes]]));
  const { mode, uid, gid } = statSync(file);
  const tmp = `${file}.pgcluster-${process.pid}.tmp`;
  try {
    writeFileSync(tmp, setPgbouncerIniValues(readFileSync(file, 'utf8'), values), { mode: mode & 0o777 });
    chownSync(tmp, uid, gid);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new ConfigError(`pgbouncer.configFile ${file} could not be written: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'Run cluster-scale as a user who may write pgbouncer.ini (its owner or root); the sizes were not changed.',
    });
  }
}
