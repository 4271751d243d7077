import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { checkSkillMeta, executeSkill, exitCodeFor, getSkillMeta, type ExecuteOptions } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { backupsDir } from '../src/backup/backup-catalogue';
import { ClusterBackupInput, ClusterBackupSkill, ClusterRestoreInput, ClusterRestoreSkill, type ClusterBackupOutput, type ClusterRestoreOutput } from '../src';

// The two skills through the executor, as the CLI, the MCP server and the agent run them.
const cluster = useCluster({ replicas: 0, fast: true });

describe('cluster-backup and cluster-restore skills', () => {
  let loaded: LoadedConfig;
  let options: ExecuteOptions;
  let password: string;
  const sql = (db: string, text: string) => withClient({ url: cluster().url('node1', db) }, 'test', async (c) => (await c.query(text)).rows);
  const count = async (db: string) => (await sql(db, 'select count(*)::int as n from docs'))[0]!.n as number;

  beforeAll(async () => {
    password = decodeURIComponent(new URL(cluster().url()).password);
    const stateDir = mkdtempSync(join(tmpdir(), 'pgc-backup-skill-'));
    loaded = {
      source: 'test',
      stateDir,
      config: ClusterConfig.parse({ name: 'skill-test', nodes: [{ name: 'node1', url: cluster().url('node1', 'postgres') }], databases: { project: 'app' } }),
    };
    options = { config: loaded, audit: false, actor: 'cli', timeoutMs: 120_000 };
    await sql('postgres', 'create database app');
    await sql('app', 'create extension if not exists vector');
    await sql('app', "create table docs (id int primary key, embedding vector(3)); insert into docs select g, array[g, 0, 1]::vector(3) from generate_series(1, 100) g");
  });
  afterAll(() => rmSync(loaded.stateDir, { recursive: true, force: true }));

  it('declares valid metadata: backup needs no confirmation, restore does', () => {
    const backup = getSkillMeta(ClusterBackupSkill);
    const restore = getSkillMeta(ClusterRestoreSkill);
    expect(checkSkillMeta(backup)).toEqual([]);
    expect(checkSkillMeta(restore)).toEqual([]);
    expect(backup).toMatchObject({ name: 'cluster-backup', risk: 'write', requiresConfirmation: false, autonomous: true });
    expect(restore).toMatchObject({ name: 'cluster-restore', risk: 'destructive', requiresConfirmation: true, autonomous: false });
    for (const schema of [ClusterBackupInput, ClusterRestoreInput]) {
      for (const [field, s] of Object.entries(schema.shape)) expect([field, (s as { description?: string }).description?.length ?? 0]).not.toEqual([field, 0]);
    }
  });

  let id: string;

  it('dry-run shows the commands without secrets; a run backs up', async () => {
    const planned = await executeSkill(ClusterBackupSkill, { action: 'backup', databases: ['project'] }, { ...options, dryRun: true });
    expect(planned.status).toBe('planned');
    const text = JSON.stringify(planned.plan);
    expect(text).toContain('pg_dump --format=custom');
    expect(text).toContain('PGDATABASE=app');
    expect(text).not.toContain(password);
    expect(await executeSkill(ClusterBackupSkill, { action: 'list' }, options)).toMatchObject({ ok: true, data: { count: 0 } });

    const env = await executeSkill(ClusterBackupSkill, { action: 'backup', databases: ['project'] }, options);
    expect(env).toMatchObject({ ok: true, status: 'ok' });
    const data = env.data as ClusterBackupOutput;
    id = data.backup!.id;
    expect(data.backup!.databases).toEqual(['app']);
    expect(JSON.stringify(env)).not.toContain(password);
    const verified = await executeSkill(ClusterBackupSkill, { action: 'verify', id }, options);
    expect(verified).toMatchObject({ ok: true, status: 'ok', data: { verify: { ok: true } } });
  });

  it('restore into an existing database without --yes is refused (exit 3) and changes nothing', async () => {
    await sql('app', 'delete from docs where id > 10');
    const env = await executeSkill(ClusterRestoreSkill, { id, target: 'app' }, options);
    expect(env.status).toBe('refused');
    expect(exitCodeFor(env)).toBe(3);
    expect(env.plan!.map((s) => s.text).join('\n')).toContain('alter database "app" rename to');
    expect(await count('app')).toBe(10);
  });

  it('restores with --yes, records a rollback, and the rollback undoes it', async () => {
    const env = await executeSkill(ClusterRestoreSkill, { id, target: 'app' }, { ...options, yes: true });
    expect(env).toMatchObject({ ok: true, data: { action: 'restore', restore: { target: 'app', created: false } } });
    expect(await count('app')).toBe(100);
    expect(env.rollback).toEqual({ skill: 'cluster-restore', input: { action: 'undo', target: 'app' }, description: expect.stringContaining('rename to "app"') });
    const undo = await executeSkill(ClusterRestoreSkill, env.rollback!.input, { ...options, yes: true });
    expect(undo).toMatchObject({ ok: true, data: { undo: { action: 'reverted', target: 'app' } } });
    expect(await count('app')).toBe(10);
    // Undo only touches databases a recorded restore made: a second undo refuses.
    const again = await executeSkill(ClusterRestoreSkill, { action: 'undo', target: 'app' }, { ...options, yes: true });
    expect(again).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await count('app')).toBe(10);
  });

  it('bad input is exit 2 naming the field; a corrupted backup makes verify degraded', async () => {
    const bad = await executeSkill(ClusterBackupSkill, { action: 'prune', keep: -1 }, options);
    expect(exitCodeFor(bad)).toBe(2);
    expect(bad.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('keep') });
    const badId = await executeSkill(ClusterRestoreSkill, { id: '../../etc/passwd', target: 'x' }, { ...options, yes: true });
    expect(badId.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('id') });

    const file = join(backupsDir(loaded.stateDir), id, 'app.dump');
    const bytes = readFileSync(file);
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0x55;
    writeFileSync(file, bytes);
    const verified = await executeSkill(ClusterBackupSkill, { action: 'verify', id }, options);
    expect(verified.status).toBe('degraded');
    expect(exitCodeFor(verified)).toBe(1);
    expect(verified.alerts.join('\n')).toContain('sha256 app.dump failed');
    const restored = await executeSkill(ClusterRestoreSkill, { id, target: 'app_copy' }, { ...options, yes: true });
    expect(restored).toMatchObject({ ok: false, error: { code: 'ACTION_FAILED' } });
    expect((restored.data as ClusterRestoreOutput | null)?.restore).toBeUndefined();
    expect(await sql('postgres', "select 1 from pg_database where datname = 'app_copy'")).toEqual([]);
  });
});
