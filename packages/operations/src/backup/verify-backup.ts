import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PgClusterError } from '@pgcluster/core';
import { backupsDir, findBackup, updateCatalogue } from './backup-catalogue';
import type { BackupContext } from './backup-context';
import { combinedSha256, pgBinDir, runTool, sha256File, sizeOf } from './pg-tools';

/** One check of a verification. */
export interface VerifyCheck {
  /** e.g. `sha256 app.dump`, `pg_restore --list app.dump`, `pg_verifybackup`. */
  check: string;
  ok: boolean;
  detail: string;
}

/** The result of {@link verifyBackup}: every check, passed or not (it never stops half-way). */
export interface VerifyReport {
  id: string;
  kind: 'logical' | 'physical';
  ok: boolean;
  checks: VerifyCheck[];
}

/**
 * Verifies a catalogued backup: each file's size and SHA-256 against the catalogue, then
 * `pg_restore --list` of every dump (logical) or `pg_verifybackup` against the backup's own
 * manifest, WAL included (physical). Returns every check rather than throwing at the first,
 * and records the outcome in the catalogue (`verification`), which prune goes by.
 *
 * @example
 * ```ts
 * const report = await verifyBackup({ config, stateDir }, '20261124T071502Z-logical-k3x9')
 * if (!report.ok) console.error(report.checks.filter((c) => !c.ok))
 * ```
 */
export async function verifyBackup(ctx: BackupContext, id: string): Promise<VerifyReport> {
  const record = findBackup(ctx.stateDir, id);
  const dir = join(backupsDir(ctx.stateDir), record.path);
  const checks: VerifyCheck[] = [];
  const seen: { name: string; sha256: string }[] = [];
  let bytes = 0;
  for (const f of record.files) {
    const path = join(dir, f.name);
    if (!existsSync(path)) {
      checks.push({ check: `exists ${f.name}`, ok: false, detail: 'missing' });
      continue;
    }
    const size = sizeOf(path);
    checks.push({ check: `size ${f.name}`, ok: size === f.size, detail: size === f.size ? `${size} bytes` : `${size} bytes, catalogue says ${f.size}` });
    const sha = await sha256File(path);
    seen.push({ name: f.name, sha256: sha });
    checks.push({ check: `sha256 ${f.name}`, ok: sha === f.sha256, detail: sha === f.sha256 ? sha : `${sha}, catalogue says ${f.sha256}` });
    bytes += size;
    ctx.onProgress?.({ phase: 'verify', bytes });
  }
  const combined = combinedSha256(seen);
  checks.push({ check: 'sha256 (backup)', ok: combined === record.sha256, detail: combined === record.sha256 ? combined : 'differs from the catalogue' });
  const bin = pgBinDir();
  const tool = async (check: string, program: string, args: string[]) => {
    try {
      await runTool({ program: join(bin, program), args, ...(ctx.signal ? { signal: ctx.signal } : {}) });
      checks.push({ check, ok: true, detail: 'passed' });
    } catch (error) {
      if (error instanceof PgClusterError && error.code === 'ABORTED') throw error;
      checks.push({ check, ok: false, detail: (error as Error).message });
    }
  };
  if (record.kind === 'logical') {
    for (const f of record.files) if (existsSync(join(dir, f.name))) await tool(`pg_restore --list ${f.name}`, 'pg_restore', ['--list', join(dir, f.name)]);
  } else if (existsSync(join(dir, 'base'))) {
    await tool('pg_verifybackup', 'pg_verifybackup', ['--quiet', join(dir, 'base')]);
  }
  const ok = checks.every((c) => c.ok);
  await updateCatalogue(ctx.stateDir, (backups) => backups.map((b) => (b.id === id ? { ...b, verification: { ok, at: new Date().toISOString(), by: 'verify' } } : b)));
  return { id, kind: record.kind, ok, checks };
}
