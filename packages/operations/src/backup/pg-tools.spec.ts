import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BACKUP_ID_PATTERN, findBackup, readCatalogue, updateCatalogue } from './backup-catalogue';
import { ClusterBackupInput, ClusterRestoreInput } from './backup-skill-schema';
import { newBackupId } from './create-backup';
import { combinedSha256, libpqEnv, sha256File, showCommand } from './pg-tools';

describe('backup helpers', () => {
  it('passes credentials as libpq variables, and shows commands without the password', () => {
    const env = libpqEnv('postgresql://app%40x:p%3Ass@127.0.0.1:5433/app?sslmode=require', 'shared');
    expect(env).toMatchObject({ PGHOST: '127.0.0.1', PGPORT: '5433', PGUSER: 'app@x', PGPASSWORD: 'p:ss', PGDATABASE: 'shared', PGSSLMODE: 'require' });
    const shown = showCommand('/usr/lib/postgresql/15/bin/pg_dump', ['--format=custom'], env);
    expect(shown).toBe('PGHOST=127.0.0.1 PGPORT=5433 PGDATABASE=shared PGUSER=app@x PGPASSWORD=*** pg_dump --format=custom');
  });

  it('makes ids of the catalogued shape and rejects paths', () => {
    expect(newBackupId('physical', new Date('2026-11-24T07:15:02.123Z'))).toMatch(/^20261124T071502Z-physical-[a-z0-9]{4}$/);
    expect(BACKUP_ID_PATTERN.test('../../etc')).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'pgc-cat-'));
    try {
      expect(() => findBackup(dir, '../x')).toThrow(/id: must be a backup id/);
      expect(() => findBackup(dir, newBackupId('logical'))).toThrow(/no backup/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps every entry when updates race', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgc-cat-'));
    try {
      const record = (i: number) => ({
        id: newBackupId('logical'),
        kind: 'logical' as const,
        createdAt: new Date(2026, 0, 1, 0, 0, i).toISOString(),
        node: 'node1',
        databases: ['app'],
        size: i,
        sha256: 'a'.repeat(64),
        lsn: '0/1',
        durationMs: 1,
        path: 'x',
        files: [],
        serverVersion: '15',
      });
      await Promise.all(Array.from({ length: 8 }, (_, i) => updateCatalogue(dir, (all) => [...all, { ...record(i), path: `p${i}` }])));
      expect(readCatalogue(dir)).toHaveLength(8);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hashes files and sets of files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgc-sha-'));
    try {
      writeFileSync(join(dir, 'a'), 'abc');
      expect(await sha256File(join(dir, 'a'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      const one = combinedSha256([{ name: 'a', sha256: '1' }, { name: 'b', sha256: '2' }]);
      expect(combinedSha256([{ name: 'b', sha256: '2' }, { name: 'a', sha256: '1' }])).toBe(one);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('validates skill input naming the field', () => {
    expect(ClusterBackupInput.safeParse({ action: 'prune' }).error?.issues[0]?.path).toEqual(['keep']);
    expect(ClusterBackupInput.safeParse({ action: 'prune', keep: 0 }).success).toBe(false);
    expect(ClusterBackupInput.safeParse({ action: 'verify' }).error?.issues[0]?.path).toEqual(['id']);
    expect(ClusterBackupInput.safeParse({ action: 'backup', databases: ['Bad Name'] }).success).toBe(false);
    expect(ClusterBackupInput.parse({})).toEqual({ action: 'backup' });
    expect(ClusterRestoreInput.safeParse({ action: 'restore' }).error?.issues[0]?.path).toEqual(['id']);
    expect(ClusterRestoreInput.safeParse({ action: 'undo' }).error?.issues[0]?.path).toEqual(['target']);
    expect(ClusterRestoreInput.safeParse({ id: newBackupId('physical'), dataDir: 'relative/dir' }).error?.issues[0]?.path).toEqual(['dataDir']);
  });
});
