import { spawn } from 'node:child_process';
import { PgClusterError, RefusedError } from '@pgcluster/core';
import type pg from 'pg';
import type { MaintenanceTarget } from '../connection/maintenance-target';
import type { ResolvedRelation } from '../sql/resolve-relation';

/** The lock pg_repack takes: exclusive only for a moment at the start and at the swap. */
export const REPACK_LOCK = 'ACCESS EXCLUSIVE for a moment at the start and at the swap only (rows are copied online: reads and writes go on)';

/** What pg_repack needs before it may run on a table. */
export interface RepackPreconditions {
  /** The index pg_repack keys its log on (a primary key, or a unique index on NOT NULL columns); null when there is none. */
  keyIndex: string | null;
  /** Table, indexes and TOAST, in bytes: pg_repack writes a full copy beside them. */
  tableBytes: number;
  /** pg_repack needs about twice the table's size free. */
  diskNeededBytes: number;
  /** Free bytes where the data directory is, when it is on this machine. */
  diskFreeBytes?: number;
  /** The pg_repack extension is already in the database (else it is created first). */
  extensionInstalled: boolean;
}

// A primary key, or a valid unique index without predicate or expressions whose columns are all NOT NULL.
const KEY_INDEX_SQL = `
select i.indexrelid::regclass::text as name
  from pg_index i
 where i.indrelid = $1::oid and i.indisvalid
   and (i.indisprimary or (i.indisunique and i.indpred is null and i.indexprs is null
        and not exists (select 1 from pg_attribute a where a.attrelid = i.indrelid and a.attnum = any(i.indkey) and not a.attnotnull)))
 order by i.indisprimary desc limit 1`;

/**
 * Reads pg_repack's preconditions for a table: a key index, the disk it needs, whether the
 * extension is there.
 * @example
 * ```ts
 * const pre = await repackPreconditions(client, table, await freeBytes(target))
 * pre.keyIndex // 'churn_pkey'
 * ```
 */
export async function repackPreconditions(c: pg.Client, table: ResolvedRelation, diskFreeBytes: number | undefined): Promise<RepackPreconditions> {
  const key = (await c.query<{ name: string }>(KEY_INDEX_SQL, [table.oid])).rows[0];
  const bytes = (await c.query<{ b: number }>('select pg_total_relation_size($1::oid)::float8 as b', [table.oid])).rows[0]!.b;
  const ext = (await c.query("select 1 from pg_extension where extname = 'pg_repack'")).rowCount === 1;
  return { keyIndex: key?.name ?? null, tableBytes: bytes, diskNeededBytes: 2 * bytes, ...(diskFreeBytes !== undefined ? { diskFreeBytes } : {}), extensionInstalled: ext };
}

/** The pg_repack command line (no secret: the connection goes through PG* variables). */
export function repackArgs(table: ResolvedRelation, database: string): string[] {
  return ['--no-order', '--wait-timeout=60', `--table=${table.quoted}`, `--dbname=${database}`];
}

/**
 * Refuses a repack whose preconditions do not hold (nothing done).
 * @throws RefusedError (exit 3) without a key index or without the disk space.
 */
export function checkRepack(table: ResolvedRelation, pre: RepackPreconditions): void {
  if (!pre.keyIndex) {
    throw new RefusedError(`pg_repack needs a primary key or a unique index on NOT NULL columns of ${table.display}; it has neither; nothing was done`, {
      hint: 'Add a primary key, or use --full (VACUUM FULL, with an exclusive lock) in a quiet window.',
    });
  }
  if (pre.diskFreeBytes !== undefined && pre.diskFreeBytes < pre.diskNeededBytes) {
    throw new RefusedError(`pg_repack of ${table.display} needs about ${pre.diskNeededBytes} bytes free (twice the table with its indexes); only ${pre.diskFreeBytes} are; nothing was done`, {
      hint: 'Free disk space first, or run a plain VACUUM (makes the space reusable without returning it).',
    });
  }
}

/**
 * Runs the pg_repack program against the target's database, every output line through
 * `progress`. The password travels in the child's environment only.
 * @throws PgClusterError `NOT_SUPPORTED` when pg_repack is missing, `ACTION_FAILED` when it fails (its last lines in the message).
 */
export async function runRepack(target: MaintenanceTarget, database: string, args: string[], progress: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const u = new URL(target.url);
  const env: Record<string, string> = { PGHOST: u.hostname.replace(/^\[|\]$/g, ''), PGPORT: u.port || '5432', PGDATABASE: database, PGAPPNAME: 'pgcluster-maintenance', PGCONNECT_TIMEOUT: '10' };
  if (u.username) env['PGUSER'] = decodeURIComponent(u.username);
  // Security: the password in the child's environment only, never argv or a message.
  if (u.password) env['PGPASSWORD'] = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode) env['PGSSLMODE'] = sslmode;
  const lines: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('pg_repack', args, { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal } : {}) });
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter((l) => l.trim())) {
        lines.push(line);
        progress(`pg_repack: ${line}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('close', resolve);
  }).catch((error: Error) => {
    throw new PgClusterError('NOT_SUPPORTED', `pg_repack could not run: ${error.message}`, { hint: 'Install it: Debian package postgresql-15-repack (scripts/setup-system.sh does).' });
  });
  if (code !== 0) {
    throw new PgClusterError('ACTION_FAILED', `pg_repack failed (exit ${code}): ${lines.slice(-3).join(' | ')}`, { hint: 'The table is left as it was; pg_repack drops its own leftovers on the next run.' });
  }
}
