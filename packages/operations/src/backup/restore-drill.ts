import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, PgClusterError, withClient, type TopologyMember } from '@pgcluster/core';
import pg from 'pg';
import { readCatalogue, findBackup, type BackupRecord } from './backup-catalogue';
import { listDatabases, maintenanceUrl, resolvePrimary, type BackupContext } from './backup-context';
import { archiveForRestore, flushToArchive, type RecoveryPoint } from './point-in-time';
import { restoreBackup, restoredUrl, undoPhysicalRestore } from './restore-backup';
import { createRestorePoint, forgetDrillRestorePoints } from './restore-points';
import { verifyBackup, type VerifyCheck } from './verify-backup';

/** One table compared between the source and the restored copy. */
export interface DrillTable {
  database: string;
  table: string;
  rows: number;
  sourceRows: number;
  /** Row count and the sum of 64-bit hashes of every row's text are equal. */
  match: boolean;
}

/** What a restore drill found. */
export interface DrillReport {
  ok: boolean;
  backupId: string;
  /** The backup's own checks (sizes, checksums, pg_verifybackup); a damaged backup stops the drill here. */
  checks: VerifyCheck[];
  /** The restore point the copy was recovered to (made by the drill). */
  restorePoint?: string;
  recovery?: RecoveryPoint;
  /** Milliseconds from the start of the restore until the copy accepted writes. */
  rtoMs?: number;
  /** The data the backup plus WAL covered: backup start to the last replayed transaction. */
  window?: { from: string; to: string };
  /** Whether nothing committed between the source's snapshot and the restore point: only then is a difference a failure. */
  exact: boolean;
  tables: DrillTable[];
  /** The throwaway copy was stopped and deleted. */
  removed: boolean;
}

type Sums = Map<string, { rows: number; sum: string }>;

/**
 * A restore drill: verifies the latest physical backup (or `id`), restores it with WAL from the
 * archive up to a restore point made now into a throwaway node on a free port, compares the row
 * count and a checksum of every table with the source as of that restore point, reports the
 * recovery time (RTO) and the data window covered, and removes the copy. Nothing on the source
 * changes but a restore point and a WAL switch; the restore point leaves the journal of restore
 * points when the drill ends (the ones users named stay).
 * @example
 * ```ts
 * const report = await restoreDrill(ctx, {})
 * if (!report.ok) console.error(report.checks.filter((c) => !c.ok), report.tables.filter((t) => !t.match))
 * ```
 */
export async function restoreDrill(ctx: BackupContext, options: { id?: string; dataDir?: string }): Promise<DrillReport> {
  try {
    return await drill(ctx, options);
  } finally {
    await forgetDrillRestorePoints(ctx.stateDir);
  }
}

async function drill(ctx: BackupContext, options: { id?: string; dataDir?: string }): Promise<DrillReport> {
  const archiveDir = archiveForRestore(ctx.stateDir);
  const record = options.id ? findBackup(ctx.stateDir, options.id) : latestPhysical(ctx.stateDir);
  if (record.kind !== 'physical') throw new InputError('id', 'a drill restores a physical backup (with WAL); this one is logical');
  const verify = await verifyBackup(ctx, record.id);
  if (!verify.ok) return { ok: false, backupId: record.id, checks: verify.checks, exact: false, tables: [], removed: false };

  const primary = await resolvePrimary(ctx);
  const databases = await listDatabases(primary);
  const { point, sums, exact } = await sourceAtRestorePoint(ctx, primary, databases);
  await flushToArchive(ctx);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'pgcluster-drill-'));
  let restored;
  try {
    restored = await restoreBackup(ctx, { id: record.id, dataDir, verified: true, recovery: { archiveDir, target: { kind: 'name', name: point } } });
  } catch (error) {
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (error instanceof PgClusterError && error.code === 'ABORTED') throw error;
    return {
      ok: false,
      backupId: record.id,
      checks: [...verify.checks, { check: 'recovery', ok: false, detail: (error as Error).message }],
      restorePoint: point,
      exact,
      tables: [],
      removed: true,
    };
  }
  const tables: DrillTable[] = [];
  try {
    for (const db of databases) {
      const copy = await tableSums(restoredUrl(primary.url, restored.port!, db));
      const source = sums.get(db) ?? new Map();
      for (const name of new Set([...source.keys(), ...copy.keys()])) {
        const s = source.get(name);
        const c = copy.get(name);
        tables.push({ database: db, table: name, rows: c?.rows ?? -1, sourceRows: s?.rows ?? -1, match: !!s && !!c && s.rows === c.rows && s.sum === c.sum });
      }
    }
  } finally {
    await undoPhysicalRestore(ctx, restored.dataDir!);
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
  const mismatched = tables.filter((t) => !t.match);
  const checks: VerifyCheck[] = [
    ...verify.checks,
    { check: 'recovery', ok: true, detail: `reached ${point} at ${restored.recovery!.lsn}` },
    {
      check: 'tables',
      ok: mismatched.length === 0 || !exact,
      detail: mismatched.length
        ? `${mismatched.length} of ${tables.length} differ${exact ? '' : ' (the source changed while the drill read it: not counted as a failure)'}: ${mismatched.slice(0, 5).map((t) => `${t.database}.${t.table}`).join(', ')}`
        : `${tables.length} tables: row counts and checksums equal`,
    },
  ];
  return {
    ok: checks.every((c) => c.ok),
    backupId: record.id,
    checks,
    restorePoint: point,
    recovery: restored.recovery!,
    rtoMs: restored.rtoMs!,
    window: restored.recovery!.window,
    exact,
    tables,
    removed: true,
  };
}

function latestPhysical(stateDir: string): BackupRecord {
  const latest = readCatalogue(stateDir).filter((b) => b.kind === 'physical').sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1);
  if (!latest) throw new InputError('id', 'no physical backup in the catalogue: take one first (cluster-backup --kind physical)');
  return latest;
}

/**
 * The source's tables as of a new restore point: one repeatable-read snapshot per database is
 * held open while the restore point is made; when the cluster's snapshot right after the restore
 * point equals every one of them, nothing committed in between and the sums are exact. Retried a
 * few times on a busy cluster.
 */
async function sourceAtRestorePoint(ctx: BackupContext, primary: TopologyMember, databases: string[]): Promise<{ point: string; sums: Map<string, Sums>; exact: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const clients = await Promise.all(databases.map(async (db) => {
      const c = new pg.Client({ connectionString: restoredUrlFor(primary.url, db), application_name: 'pgcluster-drill' });
      await c.connect();
      return c;
    }));
    try {
      const snapshots: string[] = [];
      for (const c of clients) {
        await c.query('begin isolation level repeatable read read only');
        snapshots.push((await c.query<{ s: string }>('select pg_current_snapshot()::text as s')).rows[0]!.s);
      }
      const point = `drill-${new Date().toISOString().replace(/[-:.]/g, '')}`;
      await createRestorePoint(ctx, point, { drill: true });
      const after = await withClient({ url: maintenanceUrl(primary.url) }, 'reading the snapshot after the restore point', async (c) => (await c.query<{ s: string }>('select pg_current_snapshot()::text as s')).rows[0]!.s);
      const exact = snapshots.every((s) => s === after);
      if (exact || attempt >= 5) {
        const sums = new Map<string, Sums>();
        for (const [i, db] of databases.entries()) sums.set(db, await sumsIn(clients[i]!));
        return { point, sums, exact };
      }
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    }
    await new Promise((r) => setTimeout(r, 200 * attempt));
  }
}

function restoredUrlFor(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(db)}`;
  return u.toString();
}

async function tableSums(url: string): Promise<Sums> {
  const c = new pg.Client({ connectionString: url, application_name: 'pgcluster-drill' });
  await c.connect();
  try {
    return await sumsIn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Row count and the sum of hashtextextended(row::text) of every ordinary user table: order-free, no sort. */
async function sumsIn(c: pg.Client): Promise<Sums> {
  const { rows: tables } = await c.query<{ q: string; n: string }>(
    `select format('%I.%I', n.nspname, r.relname) as q, n.nspname || '.' || r.relname as n
       from pg_class r join pg_namespace n on n.oid = r.relnamespace
      where r.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' and r.relpersistence = 'p'
      order by 2`,
  );
  const out: Sums = new Map();
  for (const t of tables) {
    // Security: the table name comes from pg_class and is quoted with format('%I').
    const { rows } = await c.query<{ rows: string; sum: string }>(`select count(*)::text as rows, coalesce(sum(hashtextextended(x::text, 0)::numeric), 0)::text as sum from ${t.q} x`);
    out.set(t.n, { rows: Number(rows[0]!.rows), sum: rows[0]!.sum });
  }
  return out;
}
