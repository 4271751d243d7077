import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { ClusterBackupInput, ClusterFailoverInput, ClusterStatusInput } from '@pgcluster/operations';
import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { VectorIndexInput, VectorIndexSkill } from '@pgcluster/vector';
import pg from 'pg';
import type { z } from 'zod';
import { CHECK_IDS, checkHealth, Finding, HealthInput, HealthReport, MonitoringHealthSkill, type CheckHealthOptions } from '../src';

// One real cluster (a primary and two streaming replicas) for the whole file. Each test creates
// its condition for real and leaves it in place; the clean-cluster test runs first, the killed
// replica last.
const cluster = useCluster({ replicas: 2, fast: true });

const configOf = (): ClusterConfig =>
  ClusterConfig.parse({ name: 'itest', nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url(), ...(n.dataDir ? { dataDir: n.dataDir } : {}) })) });
const loaded = (): LoadedConfig => ({ config: configOf(), source: 'test', stateDir: '/nonexistent' });

/** The input schemas of the skills that exist today: every reference to them must validate. */
const EXISTING: Record<string, z.ZodType> = {
  'cluster-status': ClusterStatusInput,
  'cluster-failover': ClusterFailoverInput,
  'cluster-backup': ClusterBackupInput,
  'vector-index': VectorIndexInput,
  'monitoring-health': HealthInput,
};

async function health(options: CheckHealthOptions = {}): Promise<HealthReport> {
  const report = await checkHealth(configOf(), options);
  expect(HealthReport.parse(report)).toEqual(report);
  for (const f of report.findings) {
    const schema = EXISTING[f.recommendation.skill];
    if (schema) expect(schema.safeParse(f.recommendation.input).error).toBeUndefined();
  }
  return report;
}

const findingsOf = (report: HealthReport, check: string): Finding[] => report.findings.filter((f) => f.check === check);

async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, node = 'node1'): Promise<T[]> {
  return withClient({ url: cluster().url(node) }, `test query on ${node}`, async (c) => (await c.query<T>(text)).rows);
}

async function session(): Promise<{ client: pg.Client; pid: number }> {
  const client = new pg.Client({ connectionString: cluster().url() });
  client.on('error', () => undefined);
  await client.connect();
  const pid = (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
  return { client, pid };
}

async function eventually<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('monitoring-health on a real cluster', () => {
  test('a clean cluster: every check runs (or says why not) and nothing is found', async () => {
    await eventually('both replicas to stream', () => sql<{ n: number }>("select count(*)::int as n from pg_stat_replication where state = 'streaming'"), (r) => r[0]!.n === 2);
    // The cluster was started seconds ago: that restart is not what this test is about.
    const report = await health({ thresholds: { recently_restarted: { warning: 0 } } });
    expect(report.findings).toEqual([]);
    expect(report.status).toBe('healthy');
    expect(report.checks.map((c) => c.check)).toEqual([...CHECK_IDS]);
    for (const c of report.checks) expect(c.status === 'ok' || (c.status === 'skipped' && c.reason)).toBeTruthy();
    // Node checks ran on every node they apply to; primary-only checks only on node1.
    expect(report.checks.find((c) => c.check === 'connection_saturation')!.nodes).toEqual(['node1', 'node2', 'node3']);
    expect(report.checks.find((c) => c.check === 'dead_tuples')!.nodes).toEqual(['node1']);
    expect(report.checks.find((c) => c.check === 'replica_not_streaming')!.nodes).toEqual(['node2', 'node3']);
    expect(report.checks.find((c) => c.check === 'sync_standby_missing')).toMatchObject({ status: 'skipped', reason: expect.stringContaining('synchronous_standby_names is empty') });
    expect(report.nodes.map((n) => [n.name, n.up, n.role])).toEqual([['node1', true, 'primary'], ['node2', true, 'replica'], ['node3', true, 'replica']]);

    const envelope = await executeSkill(MonitoringHealthSkill, { thresholds: { recently_restarted: { warning: 0 } } }, { config: loaded(), audit: false, actor: 'library' });
    expect(envelope).toMatchObject({ ok: true, status: 'healthy', alerts: [], recommendations: [] });
    expect(exitCodeFor(envelope)).toBe(0);
  });

  test('the restart the clean test ignored is reported with the default threshold', async () => {
    const report = await health({ checks: ['recently_restarted'], thresholds: { recently_restarted: { warning: 3600 } } });
    expect(findingsOf(report, 'recently_restarted').map((f) => f.node).sort()).toEqual(['node1', 'node2', 'node3']);
  });

  test("the config's monitoring.thresholds apply to every run, and a run's own thresholds win over them", async () => {
    // recently_restarted fires for every node by default (the cluster started seconds ago); the config silences it.
    const config = ClusterConfig.parse({ ...configOf(), monitoring: { thresholds: { recently_restarted: { warning: 0 } } } });
    const quiet = await checkHealth(config, { checks: ['recently_restarted'] });
    expect(findingsOf(quiet, 'recently_restarted')).toEqual([]);
    expect(quiet.checks[0]).toMatchObject({ check: 'recently_restarted', status: 'ok', warning: 0 });
    const loud = await checkHealth(config, { checks: ['recently_restarted'], thresholds: { recently_restarted: { warning: 3600 } } });
    expect(findingsOf(loud, 'recently_restarted').map((f) => [f.node, f.threshold]).sort()).toEqual([['node1', 3600], ['node2', 3600], ['node3', 3600]]);
    // Field by field: the run's warning, the config's critical.
    const mixed = ClusterConfig.parse({ ...configOf(), monitoring: { thresholds: { recently_restarted: { warning: 0, critical: 7200 } } } });
    const both = await checkHealth(mixed, { checks: ['recently_restarted'], thresholds: { recently_restarted: { warning: 3600 } } });
    expect(both.checks[0]).toMatchObject({ warning: 3600, critical: 7200 });
    expect(new Set(findingsOf(both, 'recently_restarted').map((f) => f.severity))).toEqual(new Set(['critical']));
  });

  test('a config threshold for an unknown check id is a config error naming the key and the nearest id (exit 2), before any query', async () => {
    const config = ClusterConfig.parse({ ...configOf(), monitoring: { thresholds: { idle_in_transactoin: { warning: 60 } } } });
    await expect(checkHealth(config)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/monitoring\.thresholds\.idle_in_transactoin.*did you mean "idle_in_transaction"/) });
    const envelope = await executeSkill(MonitoringHealthSkill, {}, { config: { ...loaded(), config }, audit: false, actor: 'library' });
    expect(exitCodeFor(envelope)).toBe(2);
    expect(envelope.error).toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('monitoring.thresholds.idle_in_transactoin') });
    // A threshold field that is not one is refused when the config is read.
    expect(ClusterConfig.safeParse({ ...configOf(), monitoring: { thresholds: { idle_in_transaction: { warn: 60 } } } }).success).toBe(false);
  });

  test('bad input: an unknown check id, category or threshold field is refused with exit 2 and the field named', async () => {
    for (const input of [{ checks: ['no_such_check'] }, { category: ['nope'] }, { thresholds: { idle_in_transaction: { warn: 1 } } }, { thresholds: { nope: { warning: 1 } } }]) {
      const envelope = await executeSkill(MonitoringHealthSkill, input, { config: loaded(), audit: false, actor: 'library' });
      expect(exitCodeFor(envelope)).toBe(2);
      expect(envelope.error?.message).toMatch(/checks|category|thresholds/);
    }
  });

  test('an idle-in-transaction session: found with its pid and a reference to maintenance-sessions', async () => {
    const s = await session();
    try {
      await s.client.query('begin');
      await s.client.query('select 1');
      const report = await health({ checks: ['idle_in_transaction'], thresholds: { idle_in_transaction: { warning: 0 } } });
      const [f] = findingsOf(report, 'idle_in_transaction').filter((x) => x.object === `pid ${s.pid}`);
      expect(f).toMatchObject({ category: 'connections', severity: 'warning', node: 'node1', threshold: 0, unit: 'seconds', recommendation: { skill: 'maintenance-sessions', input: { pid: s.pid, action: 'terminate' } } });
      // With the default threshold (300 s) a fresh one is not reported.
      expect(findingsOf(await health({ checks: ['idle_in_transaction'] }), 'idle_in_transaction')).toEqual([]);
    } finally {
      await s.client.end();
    }
  });

  test('a lock chain of three sessions: both waiters are found with the whole chain back to the root blocker', async () => {
    await sql('create table chain (id int primary key, v int)');
    await sql('insert into chain values (1, 0)');
    const [a, b, c] = [await session(), await session(), await session()];
    try {
      // a holds the row; b waits for a's transaction; c waits for b (which holds the row's tuple lock).
      await a.client.query('begin');
      await a.client.query('update chain set v = 1 where id = 1');
      const waits = [b.client.query('update chain set v = 2 where id = 1').catch(() => undefined)];
      await eventually('b to wait', () => sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where pid = ${b.pid} and wait_event_type = 'Lock'`), (r) => r[0]!.n === 1);
      waits.push(c.client.query('update chain set v = 3 where id = 1').catch(() => undefined));
      await eventually('c to wait', () => sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where pid = ${c.pid} and wait_event_type = 'Lock'`), (r) => r[0]!.n === 1);

      const report = await health({ category: ['locks'], thresholds: { lock_waits: { warning: 0 } } });
      const waiting = findingsOf(report, 'lock_waits').filter((f) => f.node === 'node1');
      expect(waiting.map((f) => f.object).sort()).toEqual([`pid ${b.pid}`, `pid ${c.pid}`].sort());
      for (const f of waiting) {
        expect(f).toMatchObject({ category: 'locks', severity: 'warning', unit: 'seconds', recommendation: { skill: 'maintenance-sessions', input: { pid: a.pid, action: 'terminate' } } });
        expect(f.message).toContain(`pid ${a.pid} (idle in transaction`);
      }
      // c waits behind b, which waits for a: the chain names both.
      const ofC = waiting.find((f) => f.object === `pid ${c.pid}`)!;
      expect(ofC.message).toContain(`pid ${b.pid}`);
      await a.client.query('rollback');
      await Promise.all(waits);
    } finally {
      await Promise.all([a, b, c].map((s) => s.client.end()));
    }
  });

  test('a failed CREATE UNIQUE INDEX CONCURRENTLY leaves an invalid index, reported with maintenance-reindex', async () => {
    await sql('create table dup (v int)');
    await sql('insert into dup select i % 10 from generate_series(1, 100) i');
    await expect(sql('create unique index concurrently dup_v_key on dup (v)')).rejects.toMatchObject({ sqlState: '23505' });
    const report = await health({ checks: ['invalid_indexes'] });
    expect(findingsOf(report, 'invalid_indexes')).toEqual([
      expect.objectContaining({ severity: 'warning', node: 'node1', object: 'public.dup_v_key', value: 1, recommendation: expect.objectContaining({ skill: 'maintenance-reindex', input: { index: 'public.dup_v_key' } }) }),
    ]);
  });

  test('two identical indexes: the redundant one is found, never the primary key', async () => {
    await sql('create table twin (id int primary key, a int)');
    await sql('create index twin_a_1 on twin (a)');
    await sql('create index twin_a_2 on twin (a)');
    await sql('create index twin_id_idx on twin (id)');
    const report = await health({ checks: ['duplicate_indexes', 'unused_indexes'], thresholds: { unused_indexes: { warning: 0 } } });
    // No skill drops an index yet: the statement is in why, for a person, and the reference re-checks.
    expect(findingsOf(report, 'duplicate_indexes').map((f) => [f.object, f.recommendation.skill, f.recommendation.input['checks'], f.recommendation.why?.includes(`DROP INDEX CONCURRENTLY ${f.object}`)]).sort()).toEqual([
      ['public.twin_a_2', 'monitoring-health', ['duplicate_indexes'], true],
      ['public.twin_id_idx', 'monitoring-health', ['duplicate_indexes'], true],
    ]);
    const unused = findingsOf(report, 'unused_indexes').map((f) => f.object);
    expect(unused).toEqual(expect.arrayContaining(['public.twin_a_1', 'public.twin_a_2', 'public.twin_id_idx']));
    expect(unused).not.toContain('public.twin_pkey');
    expect(unused).not.toContain('public.chain_pkey');
  });

  test('a table with autovacuum off and half its rows deleted: dead tuples, autovacuum overdue, stale statistics', async () => {
    await sql('create table dead (id int primary key, pad text) with (autovacuum_enabled = false)');
    await sql("insert into dead select i, repeat('x', 50) from generate_series(1, 10000) i");
    await sql('analyze dead');
    await sql('delete from dead where id % 2 = 0');
    const report = await eventually(
      'the deletes to reach the statistics',
      () => health({ category: ['vacuum'] }),
      (r) => findingsOf(r, 'dead_tuples').some((f) => f.object === 'public.dead'),
    );
    const on = (check: string) => findingsOf(report, check).find((f) => f.object === 'public.dead');
    expect(on('dead_tuples')).toMatchObject({ severity: 'critical', value: 50, threshold: 50, unit: 'percent', recommendation: { skill: 'maintenance-vacuum', input: { table: 'public.dead' } } });
    expect(on('autovacuum_overdue')).toMatchObject({ category: 'vacuum', recommendation: { skill: 'maintenance-vacuum', input: { table: 'public.dead' } } });
    expect(on('autovacuum_overdue')!.message).toContain('autovacuum is off');
    expect(on('stale_statistics')).toMatchObject({ recommendation: { skill: 'maintenance-analyze', input: { table: 'public.dead' } } });
  });

  test('a sequence near its maximum, and one capped by the int column it feeds', async () => {
    await sql('create sequence near_end maxvalue 100');
    await sql("select setval('near_end', 97)");
    await sql('create table capped (id int)');
    await sql('create sequence capped_id_seq as bigint owned by capped.id');
    await sql("select setval('capped_id_seq', 2000000000)");
    const report = await health({ checks: ['sequence_exhaustion'] });
    const byObject = new Map(findingsOf(report, 'sequence_exhaustion').map((f) => [f.object, f]));
    expect(byObject.get('public.near_end')).toMatchObject({ severity: 'critical', threshold: 95, recommendation: { skill: 'monitoring-health', input: { checks: ['sequence_exhaustion'] }, why: expect.stringContaining('public.near_end') } });
    expect(byObject.get('public.capped_id_seq')).toMatchObject({ severity: 'warning', threshold: 85 });
    expect(byObject.get('public.capped_id_seq')!.message).toContain('capped by int4 column public.capped.id');
  });

  test('an unused physical replication slot', async () => {
    await sql("select pg_create_physical_replication_slot('unused_slot')");
    const report = await health({ checks: ['inactive_replication_slots'] });
    expect(findingsOf(report, 'inactive_replication_slots')).toEqual([
      expect.objectContaining({ severity: 'warning', node: 'node1', object: 'unused_slot', unit: 'bytes', recommendation: expect.objectContaining({ skill: 'cluster-status' }) }),
    ]);
  });

  test('an HNSW index on one vector column and none on another: only the unindexed one is found; references validate against vector-index', async () => {
    await sql('create table docs (id bigserial primary key, embedding vector(3), other vector(3))');
    await sql("insert into docs (embedding, other) select ('[' || i || ',1,2]')::vector, ('[1,' || i || ',2]')::vector from generate_series(1, 200) i");
    await sql('create index docs_embedding_hnsw on docs using hnsw (embedding vector_l2_ops)');
    await sql('analyze docs');
    const report = await health({ category: ['pgvector'], thresholds: { vector_column_unindexed: { warning: 100 }, vector_index_build_memory: { warning: 0 } } });
    const database = report.nodes[0]!.database;
    // docs is a plain table, not a collection: vector-index cannot index it, so the finding says what to run by hand.
    expect(findingsOf(report, 'vector_column_unindexed')).toEqual([
      expect.objectContaining({ object: 'public.docs.other', value: 200, recommendation: expect.objectContaining({ skill: 'monitoring-health', input: { checks: ['vector_column_unindexed'], database } }) }),
    ]);
    const [build] = findingsOf(report, 'vector_index_build_memory');
    expect(build).toMatchObject({ object: 'public.docs_embedding_hnsw', recommendation: { skill: 'vector-index', input: { action: 'rebuild', index: 'public.docs_embedding_hnsw', database } } });
    expect(VectorIndexInput.parse(build!.recommendation.input)).toMatchObject({ maintenanceWorkMem: expect.stringMatching(/^[1-9][0-9]*MB$/) });
    expect(findingsOf(report, 'vector_index_invalid')).toEqual([]);

    // Following it: the recommended re-check runs, and the statement its why gives makes the finding go away.
    const [unindexed] = findingsOf(report, 'vector_column_unindexed');
    const recheck = await executeSkill(MonitoringHealthSkill, unindexed!.recommendation.input as Record<string, unknown>, { config: loaded(), audit: false, actor: 'library' });
    expect(recheck.error).toBeUndefined();
    const statement = /CREATE INDEX CONCURRENTLY ON public\.docs USING hnsw \(other vector_cosine_ops\)/.exec(unindexed!.recommendation.why ?? '');
    expect(statement).not.toBeNull();
    await sql(statement![0]);
    const after = await health({ checks: ['vector_column_unindexed'], thresholds: { vector_column_unindexed: { warning: 100 } } });
    expect(findingsOf(after, 'vector_column_unindexed').filter((f) => f.object.startsWith('public.docs.'))).toEqual([]);
  });

  test('an HNSW index left invalid by a failed concurrent build on a plain table (no collection): the recommended rebuild is accepted by vector-index (--dry-run)', async () => {
    // A plain table, not a catalogued collection; the build fails on one row, as a failed CREATE INDEX CONCURRENTLY does.
    await sql('create table plain_items (id int primary key, embedding vector(3))');
    await sql("insert into plain_items select i, ('[' || i || ',1,2]')::vector from generate_series(1, 50) i");
    await sql("create function plain_items_vec(id int, v vector) returns vector language plpgsql immutable as $$ begin if id = 42 then raise exception 'bad row %', id; end if; return v; end $$");
    await expect(sql('create index concurrently plain_items_hnsw on plain_items using hnsw ((plain_items_vec(id, embedding)::vector(3)) vector_l2_ops)')).rejects.toThrow(/P0001/) // raise_exception: our function's error;
    const report = await health({ checks: ['vector_index_invalid'] });
    const database = report.nodes[0]!.database;
    const [finding] = findingsOf(report, 'vector_index_invalid').filter((f) => f.object === 'public.plain_items_hnsw');
    expect(finding?.recommendation).toMatchObject({ skill: 'vector-index', input: { action: 'rebuild', index: 'public.plain_items_hnsw', database } });
    // Following it as an agent would, with --dry-run: a plan, no INVALID_INPUT.
    const envelope = await executeSkill(VectorIndexSkill, finding!.recommendation.input as Record<string, unknown>, { config: loaded(), audit: false, actor: 'library', dryRun: true });
    expect(envelope.error).toBeUndefined();
    expect(envelope.status).toBe('planned');
    expect(JSON.stringify(envelope.plan)).toContain('plain_items_hnsw');
  });

  test('an IVFFlat index with far too few lists on a plain table: the recommended rebuild with lists runs and the finding goes away', async () => {
    await sql('create table public.ivf_items (id int primary key, embedding vector(3))');
    await sql("insert into public.ivf_items select i, ('[' || i || ',1,2]')::vector from generate_series(1, 12000) i");
    await sql('create index ivf_items_ivfflat on public.ivf_items using ivfflat (embedding vector_l2_ops) with (lists = 1)');
    await sql('analyze public.ivf_items');
    const [finding] = findingsOf(await health({ checks: ['ivfflat_lists_mismatch'] }), 'ivfflat_lists_mismatch').filter((f) => f.object === 'public.ivf_items_ivfflat');
    expect(finding).toMatchObject({ value: 12, recommendation: { skill: 'vector-index', input: { action: 'rebuild', index: 'public.ivf_items_ivfflat', lists: 12 } } });
    const envelope = await executeSkill(VectorIndexSkill, finding!.recommendation.input as Record<string, unknown>, { config: loaded(), audit: false, actor: 'library' });
    expect(envelope.error).toBeUndefined();
    expect(envelope.data).toMatchObject({ action: 'rebuild', build: { index: 'public.ivf_items_ivfflat', method: 'ivfflat' } });
    expect(await sql("select reloptions::text as o, (select indisvalid from pg_index where indexrelid = 'ivf_items_ivfflat'::regclass) as valid from pg_class where relname = 'ivf_items_ivfflat'")).toEqual([{ o: '{lists=12}', valid: true }]);
    expect(findingsOf(await health({ checks: ['ivfflat_lists_mismatch'] }), 'ivfflat_lists_mismatch').filter((f) => f.object === 'public.ivf_items_ivfflat')).toEqual([]);
    // lists is refused, changing nothing, for an HNSW index.
    const hnsw = await executeSkill(VectorIndexSkill, { action: 'rebuild', index: 'public.docs_embedding_hnsw', lists: 12 }, { config: loaded(), audit: false, actor: 'library' });
    expect(hnsw.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('lists') });
  });

  // Last of the vector tests: its catalogue creates the schema pgcluster, which the test role (pgcluster) finds
  // first on its search_path, so unqualified tables made after it would land there.
  test('a collection with no index: the recommended vector-index create runs and the finding goes away', async () => {
    const run = (input: Record<string, unknown>) => executeSkill(VectorIndexSkill, input, { config: loaded(), audit: false, actor: 'library' });
    expect((await run({ action: 'create-collection', collection: 'coll_items', dimension: 3, metric: 'l2' })).error).toBeUndefined();
    await sql("insert into public.coll_items (key, embedding) select i::text, ('[' || i || ',1,2]')::vector from generate_series(1, 200) i");
    await sql('analyze public.coll_items');
    const options = { checks: ['vector_column_unindexed' as const], thresholds: { vector_column_unindexed: { warning: 100 } } };
    const [finding] = findingsOf(await health(options), 'vector_column_unindexed').filter((f) => f.object === 'public.coll_items.embedding');
    expect(finding?.recommendation).toMatchObject({ skill: 'vector-index', input: { action: 'create', collection: 'coll_items', method: 'hnsw' } });
    const envelope = await run(finding!.recommendation.input as Record<string, unknown>);
    expect(envelope.error).toBeUndefined();
    expect(envelope.data).toMatchObject({ action: 'create', build: { created: true, method: 'hnsw' } });
    expect(findingsOf(await health(options), 'vector_column_unindexed').filter((f) => f.object === 'public.coll_items.embedding')).toEqual([]);

    // Larger than memory (forced with a 0 threshold): a collection's index recommends its status, a plain table's a re-check; both run.
    const big = await health({ checks: ['vector_index_larger_than_memory'], thresholds: { vector_index_larger_than_memory: { warning: 0 } } });
    const on = (object: string) => findingsOf(big, 'vector_index_larger_than_memory').find((f) => f.object === object)!;
    expect(on('public.coll_items_embedding_hnsw').recommendation).toMatchObject({ skill: 'vector-index', input: { action: 'status', collection: 'coll_items' } });
    expect(on('public.docs_embedding_hnsw').recommendation).toMatchObject({ skill: 'monitoring-health', input: { checks: ['vector_index_larger_than_memory'] } });
    expect((await run(on('public.coll_items_embedding_hnsw').recommendation.input as Record<string, unknown>)).error).toBeUndefined();
    const recheck = await executeSkill(MonitoringHealthSkill, on('public.docs_embedding_hnsw').recommendation.input as Record<string, unknown>, { config: loaded(), audit: false, actor: 'library' });
    expect(recheck.error).toBeUndefined();
  });

  test('a killed replica: node_down (critical), its slot inactive, exit 1 through the skill', async () => {
    await cluster().kill('node3');
    const report = await eventually('node3 slot to be inactive', () => health(), (r) => findingsOf(r, 'inactive_replication_slots').some((f) => f.object === 'node3'));
    expect(report.status).toBe('critical');
    expect(findingsOf(report, 'node_down')).toEqual([
      expect.objectContaining({ severity: 'critical', node: 'itest', object: 'node3', recommendation: expect.objectContaining({ skill: 'cluster-status', input: {} }) }),
    ]);
    expect(report.nodes.find((n) => n.name === 'node3')).toMatchObject({ up: false, role: 'unknown' });
    expect(report.checks.find((c) => c.check === 'replica_not_streaming')!.nodes).toEqual(['node2']);

    const envelope = await executeSkill(MonitoringHealthSkill, { checks: ['node_down'] }, { config: loaded(), audit: false, actor: 'library' });
    expect(envelope.status).toBe('critical');
    expect(exitCodeFor(envelope)).toBe(1);
    expect(envelope.recommendations[0]).toMatchObject({ skill: 'cluster-status' });
  });
});
