import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { executeSkill, exitCodeFor, type ExecuteOptions } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { ClusterBackupSkill, ClusterRestoreSkill, type ClusterBackupOutput, type ClusterRestoreOutput } from '../src';

// pgBackRest as the backend, on a real primary: archiving, full and incremental backups, info, verify, PITR.
const cluster = useCluster({ replicas: 0, fast: true });

describe('pgBackRest backend', () => {
  let loaded: LoadedConfig;
  let options: ExecuteOptions;
  let archiveDir: string;
  let password: string;
  const sql = <T = Record<string, unknown>>(db: string, text: string) => withClient({ url: cluster().url('node1', db) }, 'test', async (c) => (await c.query(text)).rows as T[]);

  beforeAll(async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'pgc-pgbr-state-'));
    archiveDir = join(tmpdir(), `pgc-pgbr-${randomBytes(4).toString('hex')}`);
    password = decodeURIComponent(new URL(cluster().url()).password);
    loaded = { source: 'test', stateDir, config: ClusterConfig.parse({ name: 'pgbr-test', nodes: [{ name: 'node1', url: cluster().url('node1', 'postgres') }], databases: { project: 'app' } }) };
    options = { config: loaded, audit: false, actor: 'cli', timeoutMs: 300_000 };
    await sql('postgres', 'create database app');
    await sql('app', 'create table keep (id int primary key, note text); create table doomed (id int primary key)');
    await sql('app', 'insert into doomed select generate_series(1, 40)');
  });
  afterAll(() => {
    rmSync(loaded.stateDir, { recursive: true, force: true });
    rmSync(archiveDir, { recursive: true, force: true });
  });

  it('bad input names the field and changes nothing', async () => {
    const env = await executeSkill(ClusterBackupSkill, { action: 'backup', type: 'incr' }, options);
    expect(env).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('type') } });
    expect(exitCodeFor(env)).toBe(2);
    const notSetUp = await executeSkill(ClusterBackupSkill, { action: 'backup', backend: 'pgbackrest' }, options);
    expect(notSetUp).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('backend') } });
  });

  it('enable-archiving sets pgBackRest up (config mode 600, no secret), the stanza checks, WAL is archived', async () => {
    const env = await executeSkill(ClusterBackupSkill, { action: 'enable-archiving', backend: 'pgbackrest', archiveDir, compress: 'zstd', processMax: 2 }, { ...options, yes: true });
    expect([env.ok, env.error]).toEqual([true, undefined]);
    const archiving = (env.data as ClusterBackupOutput).archiving!;
    expect(archiving).toMatchObject({ backend: 'pgbackrest', archiveDir });
    expect(archiving.nodes[0]!.to.archive_command).toContain('archive-push %p');
    const config = join(archiveDir, 'pgbackrest.conf');
    expect(statSync(config).mode & 0o777).toBe(0o600);
    const text = readFileSync(config, 'utf8');
    expect(text).toContain('compress-type=zst');
    expect(text).toContain('process-max=2');
    expect(text).not.toContain(password);
    expect(JSON.stringify(env)).not.toContain(password);
  });

  it('takes a full then an incremental backup; info lists both; verify passes', async () => {
    const full = await executeSkill(ClusterBackupSkill, { action: 'backup', backend: 'pgbackrest' }, options);
    expect([full.ok, full.error]).toEqual([true, undefined]);
    expect((full.data as ClusterBackupOutput).pgbackrest!.backup).toMatchObject({ type: 'full' });
    await sql('app', "insert into keep select g, 'base' from generate_series(1, 20) g");
    const incr = await executeSkill(ClusterBackupSkill, { action: 'backup', backend: 'pgbackrest', type: 'incr' }, options);
    expect((incr.data as ClusterBackupOutput).pgbackrest!.backup).toMatchObject({ type: 'incr' });
    const list = await executeSkill(ClusterBackupSkill, { action: 'list', backend: 'pgbackrest' }, options);
    expect((list.data as ClusterBackupOutput).pgbackrest!.backups!.map((b) => b.type)).toEqual(['incr', 'full']);
    const verify = await executeSkill(ClusterBackupSkill, { action: 'verify', backend: 'pgbackrest' }, options);
    expect(verify).toMatchObject({ ok: true, status: 'ok', data: { pgbackrest: { verify: { ok: true } } } });
  });

  it('PITR through pgBackRest: restored to a noted time, the dropped table is back and later writes are absent', async () => {
    await sql('app', "insert into keep select g, 'before' from generate_series(21, 100) g");
    const noted = (await sql<{ t: Date }>('postgres', 'select clock_timestamp() as t'))[0]!.t.toISOString();
    await new Promise((r) => setTimeout(r, 300));
    await sql('app', 'drop table doomed');
    await sql('app', "insert into keep select g, 'after' from generate_series(101, 150) g");

    const dataDir = join(tmpdir(), `pgc-pgbr-restore-${randomBytes(4).toString('hex')}`);
    const env = await executeSkill(ClusterRestoreSkill, { backend: 'pgbackrest', toTime: noted, dataDir }, { ...options, yes: true });
    expect([env.ok, env.error]).toEqual([true, undefined]);
    const restore = (env.data as ClusterRestoreOutput).restore!;
    expect(restore.recovery).toMatchObject({ reached: true, target: { kind: 'time', time: noted } });
    expect(restore.recovery!.stopLine).toMatch(/recovery stopping before commit/);
    const copy = new URL(cluster().url('node1', 'app'));
    copy.port = String(restore.port);
    const q = (text: string) => withClient({ url: copy.toString() }, 'copy', async (c) => (await c.query(text)).rows);
    try {
      expect(await q('select count(*)::int as n from doomed')).toEqual([{ n: 40 }]);
      expect(await q('select count(*)::int as n, max(id) as m from keep')).toEqual([{ n: 100, m: 100 }]);
    } finally {
      const undo = await executeSkill(ClusterRestoreSkill, env.rollback!.input, { ...options, yes: true });
      expect(undo).toMatchObject({ ok: true, data: { removed: { stopped: true } } });
    }
  });
});
