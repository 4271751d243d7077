import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import pg from 'pg';
import { checkPerformance, MonitoringPerformanceSkill, PerformanceReport } from '../src';

// One real cluster (a primary and one replica) for the whole file.
const cluster = useCluster({ replicas: 1, fast: true });
const stateDir = mkdtempSync(join(tmpdir(), 'pgcluster-perf-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const configOf = (): ClusterConfig => ClusterConfig.parse({ name: 'itest', nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url() })) });
const loaded = (): LoadedConfig => ({ config: configOf(), source: 'test', stateDir });

async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, node = 'node1'): Promise<T[]> {
  return withClient({ url: cluster().url(node) }, `test query on ${node}`, async (c) => (await c.query<T>(text)).rows);
}

async function run(input: Record<string, unknown>) {
  const envelope = await executeSkill(MonitoringPerformanceSkill, input, { config: loaded(), audit: false, actor: 'library' });
  if (envelope.data) expect(PerformanceReport.parse(envelope.data)).toEqual(envelope.data);
  return envelope;
}

describe('monitoring-performance on a real cluster', () => {
  test('top statements carry normalised text only: no literal, no password; the slow one goes to maintenance-optimize', async () => {
    await sql('create table orders (id int primary key, note text)');
    await sql("insert into orders select i, 'note-' || i from generate_series(1, 5000) i");
    for (let i = 0; i < 3; i += 1) await sql("select count(*) from orders, pg_sleep(0.15) where note = 'secret-literal-4242'");
    await sql("create role temp_role login password 'hunter2-never-printed'");

    const report = await checkPerformance(configOf(), { top: 100, sampleMs: 200 });
    const text = JSON.stringify(report);
    expect(text).not.toContain('secret-literal-4242');
    expect(text).not.toContain('hunter2-never-printed');
    expect(report.statements.map((s) => s.query)).toContain('create role temp_role login password ?');

    const slow = report.statements.find((s) => s.node === 'node1' && s.query.includes('pg_sleep'))!;
    expect(slow).toMatchObject({ calls: 3, database: expect.any(String) });
    expect(slow.query).toBe('select count(*) from orders, pg_sleep($1) where note = $2');
    expect(slow.meanSeconds).toBeGreaterThanOrEqual(0.15);
    expect(report.rankings.meanTime).toContain(slow.key);
    expect(report.optimize.find((o) => o.key === slow.key)).toMatchObject({ recommendation: { skill: 'maintenance-optimize', input: { queryId: slow.queryId } } });
    // Every ranking lists keys of statements in the report.
    for (const keys of Object.values(report.rankings)) for (const k of keys) expect(report.statements.some((s) => s.key === k)).toBe(true);
    // Primary and replica both measured; checkpoints only on the primary.
    expect(report.nodes.map((n) => [n.name, n.up, n.role, n.checkpoints === null])).toEqual([['node1', true, 'primary', false], ['node2', true, 'replica', true]]);
    expect(report.nodes[0]!.cache.hitRatio).toBeGreaterThan(0);
  });

  test('active sessions and their wait events are sampled', async () => {
    const sleeping = sql('select pg_sleep(2)');
    await new Promise((r) => setTimeout(r, 200));
    const report = await checkPerformance(configOf(), { top: 1, sampleMs: 1000 });
    await sleeping;
    const primary = report.nodes.find((n) => n.name === 'node1')!;
    expect(primary.activity.samples).toBe(10);
    expect(primary.activity.activeMax).toBeGreaterThanOrEqual(1);
    expect(primary.activity.waits).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Timeout', event: 'PgSleep' })]));
    expect(primary.rates.windowSeconds).toBeGreaterThan(0);
  });

  test('a snapshot, then --compare shows only what ran in between', async () => {
    const first = await run({ top: 5, sampleMs: 0 });
    expect(exitCodeFor(first)).toBe(0);
    const snapshot = (first.data as PerformanceReport).snapshot!;
    expect(snapshot).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/);
    for (let i = 0; i < 7; i += 1) await sql(`select count(*) from orders where id > ${i}`);
    const second = await run({ top: 50, sampleMs: 0, compare: snapshot });
    const comparison = (second.data as PerformanceReport).comparison!;
    expect(comparison.snapshot).toBe(snapshot);
    const node1 = comparison.nodes.find((n) => n.name === 'node1')!;
    expect(node1.reset).toBe(false);
    expect(node1.statements.find((s) => s.query === 'select count(*) from orders where id > $1')).toMatchObject({ calls: 7 });
    expect(node1.statements.some((s) => s.query.includes('pg_sleep'))).toBe(false);
  });

  test('bad input: a malformed or unknown snapshot name is refused with exit 2 naming compare', async () => {
    for (const compare of ['../../etc/passwd', '2020-01-01T00-00-00-000Z']) {
      const envelope = await run({ compare });
      expect(exitCodeFor(envelope)).toBe(2);
      expect(envelope.error?.message).toContain('compare');
    }
  });
});
