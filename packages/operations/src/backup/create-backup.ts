import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, nodeAddress, PgClusterError, withClient } from '@pgcluster/core';
import { backupsDir, BACKUP_KINDS, updateCatalogue, type BackupFile, type BackupKind, type BackupRecord } from './backup-catalogue';
import { listDatabases, maintenanceUrl, resolveDatabases, resolvePrimary, type BackupContext } from './backup-context';
import { combinedSha256, libpqEnv, pgBinDir, runTool, sha256File, sizeOf } from './pg-tools';

/** What to back up. */
export interface CreateBackupOptions {
  /** `logical` (default): `pg_dump -Fc` per database; `physical`: `pg_basebackup -X stream` of the whole cluster. */
  kind?: BackupKind;
  /** Logical only: keys of `config.databases` or database names; default every configured database. */
  databases?: readonly string[];
}

/**
 * Takes a backup of the primary and records it in the catalogue (`<stateDir>/backups/catalogue.json`)
 * with its size, SHA-256, start LSN and duration. Logical: one `pg_dump -Fc` file per database,
 * each checked with `pg_restore --list`. Physical: `pg_basebackup -X stream` with a SHA-256
 * manifest, checked with `pg_verifybackup`. Passwords go to the programs through `PGPASSWORD`
 * in their environment only. A failed, timed-out or cancelled run leaves no files and no
 * catalogue entry (its programs are stopped first), and its error says so.
 *
 * @example
 * ```ts
 * const record = await createBackup({ config, stateDir, onProgress: (p) => console.error(p.bytes) }, { kind: 'logical' })
 * console.log(record.id, record.size, record.sha256)
 * ```
 */
export async function createBackup(ctx: BackupContext, options: CreateBackupOptions = {}): Promise<BackupRecord> {
  const kind = options.kind ?? 'logical';
  if (!BACKUP_KINDS.includes(kind)) throw new InputError('kind', `must be one of ${BACKUP_KINDS.join(', ')}`);
  if (kind === 'physical' && options.databases?.length) {
    throw new InputError('databases', 'a physical backup always holds every database; omit databases or use kind logical');
  }
  const primary = await resolvePrimary(ctx);
  const databases = kind === 'logical' ? await resolveDatabases(ctx, primary, options.databases) : await listDatabases(primary);
  const id = newBackupId(kind);
  const dir = join(backupsDir(ctx.stateDir), id);
  mkdirSync(dir, { mode: 0o700 });
  const started = Date.now();
  const bin = pgBinDir();
  try {
    const { lsn, version } = await withClient({ url: maintenanceUrl(primary.url) }, `reading the WAL position of ${primary.name}`, async (c) => {
      const { rows } = await c.query<{ lsn: string; version: string }>("select pg_current_wal_lsn()::text as lsn, current_setting('server_version') as version");
      return rows[0]!;
    });
    const files: BackupFile[] = [];
    if (kind === 'logical') {
      let done = 0;
      for (const db of databases) {
        const name = `${db}.dump`;
        const file = join(dir, name);
        await runTool({
          program: join(bin, 'pg_dump'),
          args: ['--format=custom', '--no-password', '--file', file],
          env: libpqEnv(primary.url, db),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          onTick: () => ctx.onProgress?.({ phase: 'backup', database: db, bytes: done + sizeOf(file) }),
        });
        await runTool({ program: join(bin, 'pg_restore'), args: ['--list', file], ...(ctx.signal ? { signal: ctx.signal } : {}) });
        const size = sizeOf(file);
        done += size;
        files.push({ name, size, sha256: await sha256File(file), database: db });
      }
    } else {
      const base = join(dir, 'base');
      // Verified once, at copy speed: the server checksums every file as it sends it (CRC32C, cheap
      // enough to keep pace with the copy; SHA-256 here tripled the time), pg_verifybackup checks the
      // files and the WAL against that manifest, and the catalogue keeps the manifest's SHA-256, which
      // pins every file's checksum.
      await runTool({
        program: join(bin, 'pg_basebackup'),
        args: ['--pgdata', base, '--wal-method=stream', '--checkpoint=fast', '--manifest-checksums=CRC32C', '--no-password'],
        env: libpqEnv(primary.url),
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onTick: () => ctx.onProgress?.({ phase: 'backup', bytes: sizeOf(base) }),
      });
      await runTool({ program: join(bin, 'pg_verifybackup'), args: ['--quiet', base], ...(ctx.signal ? { signal: ctx.signal } : {}) });
      const manifest = join(base, 'backup_manifest');
      files.push({ name: 'base/backup_manifest', size: sizeOf(manifest), sha256: await sha256File(manifest) });
    }
    const record: BackupRecord = {
      id,
      kind,
      createdAt: new Date(started).toISOString(),
      node: primary.name,
      databases,
      size: sizeOf(dir),
      sha256: combinedSha256(files),
      lsn,
      durationMs: Date.now() - started,
      path: id,
      files,
      serverVersion: version,
      // The tool checks verify runs (pg_restore --list / pg_verifybackup) just passed, and the checksums were taken now.
      verification: { ok: true, at: new Date().toISOString(), by: 'backup' },
    };
    await updateCatalogue(ctx.stateDir, (backups) => [...backups, record]);
    return record;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const left = `the partial backup ${id} was removed and nothing was added to the catalogue`;
    if (error instanceof PgClusterError) throw new PgClusterError(error.code, `${error.message}; ${left}`, { cause: error, ...(error.hint ? { hint: error.hint } : {}) });
    throw new PgClusterError('ACTION_FAILED', `backup of ${primary.name} (${nodeAddress(primary.url)}) failed: ${(error as Error).message}; ${left}`, { cause: error });
  }
}

/**
 * A new backup id: UTC time, kind and four random characters.
 * @example
 * ```ts
 * newBackupId('logical') // '20261124T071502Z-logical-k3x9'
 * ```
 */
export function newBackupId(kind: BackupKind, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const suffix = Array.from(randomBytes(4), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
  return `${stamp}-${kind}-${suffix}`;
}
