import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClusterConfig, PgClusterError, withClient, type LoadedConfig } from '@pgcluster/core';
import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { useCluster, type ClusterHandle } from '@pgcluster/testing';
import pg from 'pg';
import { checkClusterStatus, ClusterStatusReport, ClusterStatusSkill, type CheckClusterStatusOptions } from '../src';

// One real cluster (a primary and two streaming replicas) for the whole file. The tests run in
// order and each leaves the cluster as the next one expects; the last ones kill nodes.
const cluster = useCluster({ replicas: 2, fast: true });

const configOf = (c: ClusterHandle): ClusterConfig =>
  ClusterConfig.parse({ name: 'itest', nodes: c.nodes.map((n) => ({ name: n.name, url: n.url() })) });
const loadedOf = (c: ClusterHandle): LoadedConfig => ({ config: configOf(c), source: 'test', stateDir: '/nonexistent' });
const port = (name: string) => cluster().nodes.find((n) => n.name === name)!.port;

async function check(options: CheckClusterStatusOptions = {}): Promise<ClusterStatusReport> {
  const report = await checkClusterStatus(configOf(cluster()), options);
  // The report always satisfies its own schema.
  expect(ClusterStatusReport.parse(report)).toEqual(report);
  return report;
}

async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(node: string, text: string): Promise<T[]> {
  return withClient({ url: cluster().url(node) }, `test query on ${node}`, async (c) => (await c.query<T>(text)).rows);
}

async function eventually<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await fn();
      if (ok(last)) return last;
    } catch {
      /* not yet */
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const streamingReplicas = () =>
  eventually(
    'both replicas to stream',
    () => sql<{ n: number }>('node1', "select count(*)::int as n from pg_stat_replication where state = 'streaming'"),
    (rows) => rows[0]!.n === 2,
  );

/** Runs `statement` in a loop on the primary until the returned stop function is called. */
function workload(statement: string): () => Promise<number> {
  let running = true;
  let count = 0;
  const done = withClient({ url: cluster().url('node1') }, 'workload', async (c) => {
    while (running) {
      await c.query(statement);
      count += 1;
    }
  });
  return async () => {
    running = false;
    await done;
    return count;
  };
}

beforeAll(async () => {
  await sql('node1', 'create table items (id bigserial primary key, embedding vector(3))');
  await sql('node1', "insert into items (embedding) select ('[' || i || ',1,2]')::vector from generate_series(1, 100) i");
  await sql('node1', 'create index items_embedding_idx on items using hnsw (embedding vector_l2_ops)');
  // Averages since reset should not include the set-up's utility statements.
  await sql('node1', 'select pg_stat_statements_reset()');
  await streamingReplicas();
});

describe('checkClusterStatus on a real cluster', () => {
  test('a healthy cluster: every node up with its role, version and zero lag; HNSW and pools read', async () => {
    const stop = workload('select pg_sleep(0.01)');
    const report = await check({ sampleMs: 400 });
    const ran = await stop();

    expect(report.status).toBe('healthy');
    expect(report.alerts).toEqual([]);
    expect(report.recommendations).toEqual([]);
    expect(Date.parse(report.timestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(report.cluster).toEqual({ name: 'itest', nodes: 3, up: 3, primary: 'node1', replicas: ['node2', 'node3'] });

    const [n1, n2, n3] = report.components.database;
    expect(n1).toMatchObject({ name: 'node1', status: 'up', role: 'primary', lag_bytes: null, lag_seconds: null, replication: null, error: null });
    expect(n1!.address).toBe(`127.0.0.1:${port('node1')}/pgcluster`);
    expect(n1!.version).toMatch(/^15\.\d+/);
    expect(n1!.version_num).toBeGreaterThanOrEqual(150000);
    expect(n1!.latency_ms).toBeGreaterThan(0);
    for (const [n, name] of [[n2, 'node2'], [n3, 'node3']] as const) {
      expect(n).toMatchObject({ name, status: 'up', role: 'replica', error: null });
      // Caught up, give or take a WAL record in flight (autovacuum may write while we look).
      expect(n!.lag_bytes).toBeLessThan(2 ** 20);
      expect(n!.lag_seconds).toBeLessThan(5);
      if (n!.lag_bytes === 0) expect(n!.lag_seconds).toBe(0);
      // The testing cluster names each replica's application_name after the node, so the primary's view is used.
      expect(n!.replication).toMatchObject({ source: 'primary', state: 'streaming', sync_state: 'async', streaming: true });
      expect(n!.replication!.replay_lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    }

    // The workload holds one connection on the primary; the check's own is not counted.
    expect(report.components.pools).toMatchObject({ node: 'node1', active: 1, max: 100, utilization: 1 });
    expect(report.components.pools.nodes.map((p) => [p.node, p.max])).toEqual([['node1', 100], ['node2', 100], ['node3', 100]]);

    expect(report.components.hnsw).toEqual({
      database: 'pgcluster',
      node: 'node1',
      loaded: true,
      extension_version: '0.8.0',
      index_count: 1,
      invalid_indexes: [],
      unindexed_vector_columns: [],
    });

    const perf = report.components.performance;
    expect(perf).toMatchObject({ node: 'node1', source: 'window', pg_stat_statements: true });
    expect(perf.sample_ms).toBeGreaterThanOrEqual(400);
    expect(perf.statements).toBeGreaterThanOrEqual(5);
    expect(perf.statements).toBeLessThanOrEqual(ran);
    expect(perf.avg_query_ms).toBeGreaterThanOrEqual(10); // pg_sleep(0.01)
    expect(perf.avg_query_ms).toBeLessThan(100);
    expect(perf.qps).toBeCloseTo((perf.statements! * 1000) / perf.sample_ms, 0);
  });

  test('through the executor: status healthy, exit code 0, and a plan of read-only SQL per node', async () => {
    const envelope = await executeSkill(ClusterStatusSkill, { sampleMs: 100 }, { config: loadedOf(cluster()), audit: false, actor: 'library' });
    expect(envelope).toMatchObject({ ok: true, skill: 'cluster-status', status: 'healthy', alerts: [], recommendations: [] });
    expect(exitCodeFor(envelope)).toBe(0);
    expect((envelope.data as ClusterStatusReport).cluster.primary).toBe('node1');

    const dry = await executeSkill(ClusterStatusSkill, {}, { config: loadedOf(cluster()), audit: false, dryRun: true });
    expect(dry.status).toBe('planned');
    expect(new Set(dry.plan!.map((s) => s.target))).toEqual(
      new Set(['node1', 'node2', 'node3'].map((n) => `${n} (127.0.0.1:${port(n)})`)),
    );
    expect(JSON.stringify(dry.plan)).not.toContain(cluster().url().split('@')[0]!.split(':').pop()!);
  });

  test('statements slower than slowQueryMs over the window: degraded, maintenance-optimize', async () => {
    const stop = workload('select pg_sleep(0.15)');
    const report = await check({ sampleMs: 700, slowQueryMs: 100 });
    await stop();
    const perf = report.components.performance;
    expect(perf.source).toBe('window');
    expect(perf.avg_query_ms).toBeGreaterThanOrEqual(150);
    expect(report.status).toBe('degraded');
    expect(report.alerts).toEqual([`statements on node1 averaged ${perf.avg_query_ms} ms over the last ${perf.sample_ms} ms (threshold 100 ms)`]);
    expect(report.recommendations).toEqual([{ why: 'Statements are slow right now: look for missing indexes and bloated tables.', skill: 'maintenance-optimize', input: {} }]);
    await sql('node1', 'select pg_stat_statements_reset()');
  });

  test('an invalid HNSW index: degraded, named in an alert, vector-index rebuild recommended', async () => {
    await sql('node1', "update pg_index set indisvalid = false where indexrelid = 'public.items_embedding_idx'::regclass");
    try {
      const report = await check({ sampleMs: 0 });
      expect(report.status).toBe('degraded');
      expect(report.components.hnsw.index_count).toBe(1);
      expect(report.components.hnsw.invalid_indexes).toEqual([{ schema: 'public', name: 'items_embedding_idx', table: 'items', valid: false, building: false }]);
      expect(report.alerts).toEqual([
        'HNSW index public.items_embedding_idx on public.items is invalid (indisvalid = false): vector searches cannot use it until it is rebuilt',
      ]);
      expect(report.recommendations).toEqual([
        { why: 'Rebuild the invalid HNSW index public.items_embedding_idx.', skill: 'vector-index', input: { action: 'rebuild', index: 'public.items_embedding_idx', database: report.components.hnsw.database } },
      ]);
    } finally {
      await sql('node1', "update pg_index set indisvalid = true where indexrelid = 'public.items_embedding_idx'::regclass");
    }
    expect((await check({ sampleMs: 0 })).status).toBe('healthy');
  });

  test('server connections above 80% of max_connections: degraded, cluster-scale recommended', async () => {
    await sql('node1', 'alter system set max_connections = 20');
    await cluster().restart('node1');
    await streamingReplicas();
    const clients: pg.Client[] = [];
    try {
      for (let i = 0; i < 17; i += 1) {
        const c = new pg.Client({ connectionString: cluster().url('node1') });
        await c.connect();
        clients.push(c);
      }
      const report = await check({ sampleMs: 0 });
      expect(report.status).toBe('degraded');
      expect(report.components.pools).toMatchObject({ node: 'node1', active: 17, max: 20, utilization: 85 });
      expect(report.alerts).toEqual([`node1 (127.0.0.1:${port('node1')}) server connections at 85% (17 of max_connections 20; threshold 80%)`]);
      expect(report.recommendations).toEqual([{ why: expect.stringMatching(/^Server connections are above 80% of max_connections on node1: find what holds them/) }]);
      // A higher threshold (an input) accepts the same load.
      expect((await check({ sampleMs: 0, poolUtilizationPct: 90 })).status).toBe('healthy');
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  test('a node that accepts TCP but never answers is reported down after connectTimeoutMs, without stalling the rest', async () => {
    const node = cluster().nodes.find((n) => n.name === 'node3')!;
    if (!node.dataDir) return; // only the local provider exposes the postmaster
    const pid = Number(readFileSync(join(node.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 'SIGSTOP');
    try {
      const report = await check({ sampleMs: 0, connectTimeoutMs: 500 });
      expect(report.status).toBe('degraded');
      expect(report.components.database[2]).toMatchObject({ name: 'node3', status: 'down', role: 'unknown', error: 'no connection within 500 ms' });
      expect(report.alerts).toEqual([`node3 (127.0.0.1:${node.port}) is down: no connection within 500 ms`]);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  test('a cancelled check rejects with ABORTED', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(check({ sampleMs: 5_000, signal: controller.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  test('a replica killed: degraded, exit code 1, an alert naming the node; healthy again after a restart', async () => {
    await cluster().kill('node2');
    const report = await check({ sampleMs: 0 });
    expect(report.status).toBe('degraded');
    expect(report.alerts).toEqual([`node2 (127.0.0.1:${port('node2')}) is down: connection refused`]);
    expect(report.components.database[1]).toMatchObject({ name: 'node2', status: 'down', role: 'unknown', error: 'connection refused', latency_ms: null });
    expect(report.cluster).toMatchObject({ up: 2, primary: 'node1', replicas: ['node3'] });
    expect(report.recommendations.map((r) => r.skill)).not.toContain('cluster-failover');

    const envelope = await executeSkill(ClusterStatusSkill, { sampleMs: 0 }, { config: loadedOf(cluster()), audit: false });
    expect(envelope.status).toBe('degraded');
    expect(exitCodeFor(envelope)).toBe(1);
    expect(envelope.alerts).toEqual(report.alerts);

    await cluster().restart('node2');
    await streamingReplicas();
    await eventually('a healthy report', () => check({ sampleMs: 0 }), (r) => r.status === 'healthy');
  });

  test('the primary killed: critical, cluster-failover to a replica recommended', async () => {
    await cluster().kill('node1');
    const report = await check({ sampleMs: 0 });
    expect(report.status).toBe('critical');
    expect(report.cluster).toMatchObject({ up: 2, primary: null, replicas: ['node2', 'node3'] });
    expect(report.alerts).toEqual([
      `node1 (127.0.0.1:${port('node1')}) is down: connection refused`,
      'no primary: none of the reachable nodes (node2, node3) accepts writes',
    ]);
    const failover = report.recommendations.find((r) => r.skill === 'cluster-failover');
    expect(failover?.input).toEqual({ action: 'failover', to: expect.stringMatching(/^node[23]$/) });
    // HNSW is still read, from a replica.
    expect(report.components.hnsw).toMatchObject({ node: 'node2', loaded: true, index_count: 1 });
    expect(report.components.performance).toMatchObject({ node: null, source: 'none', qps: null, avg_query_ms: null });

    const envelope = await executeSkill(ClusterStatusSkill, { sampleMs: 0 }, { config: loadedOf(cluster()), audit: false });
    expect(envelope.status).toBe('critical');
    expect(exitCodeFor(envelope)).toBe(1);
  });

  test('no node answers: UNREACHABLE naming every node (exit code 2 through the executor)', async () => {
    await cluster().kill('node2');
    await cluster().kill('node3');
    const error = await checkClusterStatus(configOf(cluster()), { sampleMs: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PgClusterError);
    expect(error).toMatchObject({ code: 'UNREACHABLE' });
    expect((error as Error).message).toBe(
      `no node of cluster itest answered: ${['node1', 'node2', 'node3'].map((n) => `${n} (127.0.0.1:${port(n)}): connection refused`).join('; ')}`,
    );
    const envelope = await executeSkill(ClusterStatusSkill, { sampleMs: 0 }, { config: loadedOf(cluster()), audit: false });
    expect(envelope).toMatchObject({ ok: false, status: 'error', error: { code: 'UNREACHABLE' } });
    expect(exitCodeFor(envelope)).toBe(2);
    expect(JSON.stringify(envelope)).not.toContain(cluster().url().split('@')[0]!.split(':').pop()!);
  });
});
