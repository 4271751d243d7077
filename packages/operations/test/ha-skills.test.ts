import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, readPgbouncer, withClient, type LoadedConfig } from '@pgcluster/core';
import { createClusterPools } from '@pgcluster/pools';
import { executeSkill, exitCodeFor, undoAudit } from '@pgcluster/skill-kit';
import { isHaClusterHandle, startCluster, type HaClusterHandle } from '@pgcluster/testing';
import { ClusterScaleOutput, ClusterScaleSkill, ClusterStatusReport, ClusterStatusSkill } from '../src';

// One HA cluster (etcd + 3 Patroni nodes + PgBouncer) for the skills that use PgBouncer and Patroni.
let cluster: HaClusterHandle;
const stateDir = mkdtempSync(join(tmpdir(), 'pgc-ha-skills-'));

beforeAll(async () => {
  const handle = await startCluster({ ha: true, replicas: 2, fast: true });
  if (!isHaClusterHandle(handle)) throw new Error('expected an HA cluster');
  cluster = handle;
}, 120_000);

afterAll(async () => {
  await cluster?.stop({ purge: true }).catch(() => cluster.destroySync());
  rmSync(stateDir, { recursive: true, force: true });
}, 120_000);

const loaded = (withBouncer = true): LoadedConfig => ({
  config: ClusterConfig.parse({
    name: 'ha',
    patroni: { url: cluster.patroniUrl('node1') },
    nodes: cluster.nodes.map((n) => ({ name: n.name, url: n.url() })),
    ...(withBouncer ? { pgbouncer: { adminUrl: cluster.pgbouncerAdminUrl() } } : {}),
  }),
  source: 'test',
  stateDir,
});
const poolSize = async () => (await readPgbouncer(cluster.pgbouncerAdminUrl())).sizes.defaultPoolSize;

describe('cluster-scale', () => {
  beforeAll(async () => {
    // A client pool exists once a client went through PgBouncer.
    await withClient({ url: cluster.pgbouncerUrl() }, 'through PgBouncer', (c) => c.query('select 1'));
  });

  test.each([
    [{ size: -1 }, 'size', /at least 1/],
    [{ size: 0 }, 'size', /at least 1/],
    [{ size: 5, direction: 'up' }, 'size', /either --size or --direction/],
    [{}, 'size', /give --size N/],
    [{ direction: 'down', increment: 50 }, 'increment', /smallest pool size is 1/],
  ])('bad input %j: exit 2 naming %s, nothing changed', async (input, field, message) => {
    const envelope = await executeSkill(ClusterScaleSkill, input, { actor: 'cli', config: loaded() });
    expect(exitCodeFor(envelope)).toBe(2);
    expect(envelope.error?.message).toMatch(new RegExp(`^--${field} \\(${field}\\): `));
    expect(envelope.error?.message).toMatch(message);
    expect(await poolSize()).toBe(10);
  });

  test('without PgBouncer in the config and no runtime pools: exit 2, NOT_SUPPORTED (the input is fine), with a hint', async () => {
    const envelope = await executeSkill(ClusterScaleSkill, { direction: 'up' }, { actor: 'cli', config: loaded(false) });
    expect(exitCodeFor(envelope)).toBe(2);
    expect(envelope.error).toMatchObject({ code: 'NOT_SUPPORTED', message: expect.stringMatching(/^no PgBouncer in the config/) });
    expect(envelope.error?.hint).toContain('pgbouncer');
  });

  test('an impossible size is refused with the numbers; nothing changed', async () => {
    const envelope = await executeSkill(ClusterScaleSkill, { size: 500 }, { actor: 'cli', config: loaded() });
    expect(exitCodeFor(envelope)).toBe(2);
    expect(envelope.error?.message).toMatch(/--size \(size\): the new sizes could open 500 server connections on the primary node1, but it allows 97 \(max_connections 100 − 3 reserved/);
    expect(await poolSize()).toBe(10);
  });

  test('dry run shows before → after and changes nothing', async () => {
    const envelope = await executeSkill(ClusterScaleSkill, { direction: 'up', increment: 5 }, { actor: 'cli', dryRun: true, config: loaded() });
    expect(envelope.status).toBe('planned');
    expect(JSON.stringify(envelope.plan)).toContain('default_pool_size 10 → 15');
    expect(JSON.stringify(envelope.plan)).toContain('SET default_pool_size = 15');
    expect(await poolSize()).toBe(10);
  });

  test('scale up by 5, then audit undo restores the previous sizes, once', async () => {
    const envelope = await executeSkill(ClusterScaleSkill, { direction: 'up', increment: 5, reservePoolSize: 2 }, { actor: 'cli', config: loaded() });
    expect(envelope.error).toBeUndefined();
    const data = ClusterScaleOutput.parse(envelope.data);
    expect(data.pgbouncer).toMatchObject({ before: { defaultPoolSize: 10, reservePoolSize: 0 }, after: { defaultPoolSize: 15, reservePoolSize: 2 }, persistent: false });
    expect(data.headroom).toMatchObject({ maxConnections: 100, reserved: 3, available: 97, required: 17, ok: true });
    expect(await poolSize()).toBe(15);
    expect(envelope.auditId).toBeDefined();
    expect(envelope.rollback).toMatchObject({ skill: 'cluster-scale', input: { size: 10, reservePoolSize: 0, maxDbConnections: 0 } });
    const undoOptions = { actor: 'cli' as const, config: loaded(), yes: true, resolveSkill: (name: string) => (name === 'cluster-scale' ? ClusterScaleSkill : undefined) };
    const undo = await undoAudit(envelope.auditId!, undoOptions);
    expect(undo.error).toBeUndefined();
    expect((await readPgbouncer(cluster.pgbouncerAdminUrl())).sizes).toEqual({ defaultPoolSize: 10, reservePoolSize: 0, maxDbConnections: 0 });
    expect(await undoAudit(envelope.auditId!, undoOptions)).toMatchObject({ status: 'refused', error: { message: `${envelope.auditId} was already undone by ${undo.auditId}; nothing was run` } });
  });

  test('a runtime\'s in-process pools are resized through ctx.services', async () => {
    const pools = createClusterPools(loaded().config, { memberUrlTemplate: cluster.url(), writeMax: 4, readMax: 4 });
    try {
      await pools.write((c) => c.query('select 1'));
      const envelope = await executeSkill(ClusterScaleSkill, { target: 'runtime', size: 7 }, { actor: 'agent', config: loaded(), services: { pools } });
      expect(envelope.error).toBeUndefined();
      expect(envelope.data).toMatchObject({ runtime: { before: 4, after: 7 } });
      expect(pools.stats().every((s) => s.max === 7)).toBe(true);
      expect(await poolSize()).toBe(10); // PgBouncer untouched
      expect(envelope.rollback).toMatchObject({ input: { target: 'runtime', size: 4 } });
    } finally {
      await pools.close();
    }
  });
});

describe('cluster-status on an HA cluster', () => {
  test('reports PgBouncer pools and Patroni members, leader and timeline (additive fields)', async () => {
    await withClient({ url: cluster.pgbouncerUrl() }, 'through PgBouncer', (c) => c.query('select 1'));
    const envelope = await executeSkill(ClusterStatusSkill, { sampleMs: 0 }, { actor: 'cli', config: loaded() });
    expect(envelope.error).toBeUndefined();
    const report = ClusterStatusReport.parse(envelope.data);
    expect(report.components.pgbouncer).toMatchObject({ reachable: true, default_pool_size: 10, clients_waiting: 0 });
    expect(report.components.pgbouncer?.pools.find((p) => p.database === cluster.database)?.pool_mode).toBe('transaction');
    expect(report.components.patroni).toMatchObject({ reachable: true, leader: 'node1', timeline: 1, paused: false });
    expect(report.components.patroni?.members.map((m) => m.name).sort()).toEqual(['node1', 'node2', 'node3']);
    expect(report.status).toBe('healthy');
    const dry = await executeSkill(ClusterStatusSkill, {}, { actor: 'cli', dryRun: true, config: loaded() });
    expect(JSON.stringify(dry.plan)).toContain('SHOW POOLS');
    expect(JSON.stringify(dry.plan)).toContain('GET /cluster');
    expect(JSON.stringify(dry.plan)).not.toContain(new URL(cluster.pgbouncerAdminUrl()).password);
  });

  test('an unreachable PgBouncer makes the report degraded with an alert, never an error', async () => {
    const broken = loaded();
    broken.config = { ...broken.config, pgbouncer: { adminUrl: 'postgresql://pgbouncer_admin:x@127.0.0.1:1/pgbouncer' } };
    const envelope = await executeSkill(ClusterStatusSkill, { sampleMs: 0 }, { actor: 'cli', config: broken });
    const report = ClusterStatusReport.parse(envelope.data);
    expect(report.components.pgbouncer).toMatchObject({ reachable: false, error: 'connection refused' });
    expect(report.status).toBe('degraded');
    expect(report.alerts).toContain('PgBouncer: connection refused');
  });
});
