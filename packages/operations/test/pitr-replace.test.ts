import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { AuditLog, executeSkill, exitCodeFor, undoAudit, type ExecuteOptions } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { ClusterBackupSkill, ClusterRestoreSkill, type ClusterRestoreOutput } from '../src';

// cluster-restore --replace on a real primary with two replicas: the primary's data is replaced with a point in
// time, the replicas are re-cloned from it, and the audit undo swaps the old data back.
const cluster = useCluster({ replicas: 2, fast: true });

describe('cluster-restore --replace: the cluster back to a point in time, and undone', () => {
  let loaded: LoadedConfig;
  let options: ExecuteOptions;
  let archiveDir: string;
  const nodes = ['node1', 'node2', 'node3'];
  const url = (node: string, db: string) => cluster().url(node, db);
  const sql = <T = Record<string, unknown>>(db: string, text: string, node = 'node1') => withClient({ url: url(node, db) }, 'test', async (c) => (await c.query(text)).rows as T[]);
  const resolveSkill = (name: string) => (name === 'cluster-backup' ? ClusterBackupSkill : name === 'cluster-restore' ? ClusterRestoreSkill : undefined);
  const primaryDir = () => cluster().primary.dataDir!;
  const siblings = () => readdirSync(dirname(primaryDir())).filter((f) => f.startsWith(`${basename(primaryDir())}.`));
  const count = async (node: string, where = 'true') => (await sql<{ n: number }>('app', `select count(*)::int as n from keep where ${where}`, node))[0]!.n;

  /** Both replicas stream from node1 and a new row written there reaches them. */
  async function replicasFollow(id: number): Promise<void> {
    const streaming = await sql<{ a: string }>('postgres', "select application_name as a from pg_stat_replication where state = 'streaming' order by 1");
    expect(streaming.map((r) => r.a)).toEqual(['node2', 'node3']);
    await sql('app', `insert into keep values (${id}, 'follow')`);
    for (const node of ['node2', 'node3']) {
      for (let i = 0; ; i++) {
        if ((await count(node, `id = ${id}`)) === 1) break;
        if (i > 300) throw new Error(`row ${id} did not reach ${node}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  beforeAll(async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'pgc-replace-state-'));
    archiveDir = join(tmpdir(), `pgc-replace-archive-${randomBytes(4).toString('hex')}`);
    loaded = {
      source: 'test',
      stateDir,
      config: ClusterConfig.parse({ name: 'replace-test', nodes: nodes.map((name) => ({ name, url: url(name, 'postgres') })), databases: { project: 'app' } }),
    };
    options = { config: loaded, audit: new AuditLog({ stateDir }), actor: 'cli', timeoutMs: 300_000 };
    await sql('postgres', 'create database app');
    await sql('app', 'create table keep (id int primary key, note text); create table doomed (id int primary key)');
    await sql('app', 'insert into doomed select generate_series(1, 50)');
  });
  afterAll(() => {
    rmSync(loaded.stateDir, { recursive: true, force: true });
    rmSync(archiveDir, { recursive: true, force: true });
  });

  it('--replace without a recovery target, or with --data-dir, exits 2 naming the field; nothing changes', async () => {
    const bare = await executeSkill(ClusterRestoreSkill, { replace: true }, { ...options, yes: true });
    expect(bare).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('replace') } });
    expect(exitCodeFor(bare)).toBe(2);
    const withDir = await executeSkill(ClusterRestoreSkill, { replace: true, toTime: '2026-11-30T12:00:00Z', dataDir: '/tmp/x' }, { ...options, yes: true });
    expect(withDir).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('dataDir') } });
    expect(exitCodeFor(withDir)).toBe(2);
    expect(siblings()).toEqual([]);
  });

  it('a Patroni cluster is refused, saying why and what to do instead', async () => {
    const patroni: LoadedConfig = { source: 'test', stateDir: loaded.stateDir, config: ClusterConfig.parse({ patroni: { url: 'http://127.0.0.1:9', memberUrl: url('node1', 'postgres') } }) };
    const env = await executeSkill(ClusterRestoreSkill, { replace: true, toTime: '2026-11-30T12:00:00Z' }, { ...options, config: patroni, yes: true });
    expect(env).toMatchObject({ ok: false, status: 'refused', error: { message: expect.stringContaining('Patroni') } });
    expect(env.error!.hint).toContain('patronictl reinit');
  });

  let noted: string;
  let replaceAudit: string;
  let keptDir: string;

  it('a dry run lists every step and changes nothing; confirmed, the primary (same port) is back at the noted time and both replicas follow it', async () => {
    expect(await executeSkill(ClusterBackupSkill, { action: 'enable-archiving', archiveDir }, { ...options, yes: true })).toMatchObject({ ok: true });
    expect(await executeSkill(ClusterBackupSkill, { action: 'backup', kind: 'physical' }, options)).toMatchObject({ ok: true });
    await sql('app', "insert into keep select g, 'before' from generate_series(1, 100) g");
    noted = (await sql<{ t: Date }>('postgres', 'select clock_timestamp() as t'))[0]!.t.toISOString();
    await new Promise((r) => setTimeout(r, 300));
    await sql('app', 'drop table doomed');
    await sql('app', "insert into keep select g, 'after' from generate_series(101, 150) g");

    // A target the archive does not reach fails before the swap: the cluster is untouched, the copy removed.
    const unreachable = await executeSkill(ClusterRestoreSkill, { toTime: new Date(Date.now() + 3_600_000).toISOString(), replace: true }, { ...options, yes: true });
    expect(unreachable).toMatchObject({ ok: false, error: { message: expect.stringContaining('was removed') } });
    expect(siblings()).toEqual([]);
    expect(await count('node1')).toBe(150);

    const planned = await executeSkill(ClusterRestoreSkill, { toTime: noted, replace: true }, { ...options, dryRun: true });
    expect(planned.status).toBe('planned');
    const plan = JSON.stringify(planned.plan);
    for (const step of ['.restoring-', 'pg_ctl stop -m fast', '.replaced-', 'pg_promote()', 'pg_create_physical_replication_slot', 'pg_basebackup', 'undo --replaced']) expect(plan).toContain(step);
    const unconfirmed = await executeSkill(ClusterRestoreSkill, { toTime: noted, replace: true }, options);
    expect(exitCodeFor(unconfirmed)).toBe(3);
    expect(siblings()).toEqual([]);
    expect(await sql('app', "select to_regclass('public.doomed') as t")).toEqual([{ t: null }]);

    const port = cluster().primary.port;
    const env = await executeSkill(ClusterRestoreSkill, { toTime: noted, replace: true }, { ...options, yes: true });
    expect([env.ok, env.error]).toEqual([true, undefined]);
    replaceAudit = env.auditId!;
    const data = env.data as ClusterRestoreOutput;
    const replace = data.replace!;
    keptDir = replace.keptDir;
    expect(replace).toMatchObject({ node: 'node1', dataDir: primaryDir(), port, slots: ['node2', 'node3'] });
    expect(replace.replicas).toEqual([
      { node: 'node2', rebuilt: true, streaming: true },
      { node: 'node3', rebuilt: true, streaming: true },
    ]);
    expect(replace.rtoMs).toBeGreaterThan(0);
    expect(data.restore!.recovery).toMatchObject({ reached: true, target: { kind: 'time', time: noted } });
    expect(data.restore!.recovery!.stopLine).toMatch(/recovery stopping before commit/);
    expect(env.rollback).toMatchObject({ skill: 'cluster-restore', input: { action: 'undo', replaced: keptDir } });
    expect(siblings()).toEqual([basename(keptDir)]);
    // eslint-disable-next-line no-console
    console.log(`replace: rtoMs ${replace.rtoMs}, writesDownMs ${replace.writesDownMs}, total ${env.durationMs} ms`);

    for (const node of nodes) {
      expect(await sql('app', 'select count(*)::int as n from doomed', node)).toEqual([{ n: 50 }]);
      expect(await count(node)).toBe(100);
    }
    expect(await sql('postgres', 'select pg_is_in_recovery() as r')).toEqual([{ r: false }]);
    await replicasFollow(1000);
    // The new primary archives on its new timeline (a later point-in-time restore can follow it).
    expect(readdirSync(join(archiveDir, 'wal')).some((f) => f.endsWith('.history'))).toBe(true);
  }, 600_000);

  it('audit undo swaps the old data back: the later writes are there again and both replicas follow', async () => {
    const undo = await undoAudit(replaceAudit, { ...options, yes: true, resolveSkill });
    expect([undo.ok, undo.error]).toEqual([true, undefined]);
    const replace = (undo.data as ClusterRestoreOutput).replace!;
    expect(replace).toMatchObject({ node: 'node1', restoredFrom: keptDir, replicas: [{ node: 'node2', streaming: true }, { node: 'node3', streaming: true }] });
    // eslint-disable-next-line no-console
    console.log(`undo: rtoMs ${replace.rtoMs}, total ${undo.durationMs} ms`);
    expect(existsSync(keptDir)).toBe(false);
    expect(siblings()).toEqual([basename(replace.keptDir)]);
    for (const node of nodes) {
      expect(await sql('app', "select to_regclass('public.doomed') as t", node)).toEqual([{ t: null }]);
      expect(await count(node, "note in ('before', 'after')")).toBe(150);
      expect(await count(node, 'id = 1000')).toBe(0);
    }
    await replicasFollow(1001);
    const again = await undoAudit(replaceAudit, { ...options, yes: true, resolveSkill });
    expect(again.ok).toBe(false);
  }, 300_000);
});
