import { ClusterConfig, createTopologyProvider, type LoadedConfig, withClient } from '@pgcluster/core';
import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import {
  embeddingSpace,
  VectorBenchmarkOutput,
  VectorBenchmarkSkill,
  VectorDropSkill,
  VectorIndexSkill,
  VectorInsertSkill,
  VectorDropOutput,
  VectorSearchOutput,
  VectorSearchSkill,
} from '../src';

// The skills through the executor, as the CLI, MCP server and agent run them.
const cluster = useCluster({ replicas: 1, fast: true, extensions: ['vector'] });
const loaded = (): LoadedConfig => ({
  config: ClusterConfig.parse({ name: 'vtest', nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url() })) }),
  source: 'test',
  stateDir: '/nonexistent',
});
const run = (skill: Parameters<typeof executeSkill>[0], input: unknown, extra: Record<string, unknown> = {}) =>
  executeSkill(skill, input, { config: loaded(), audit: false, timeoutMs: 120_000, ...extra });

const snapshot = () =>
  withClient({ url: cluster().url() }, 'catalogue snapshot', async (c) => {
    const rel = await c.query("select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname not in ('pg_catalog','information_schema','pg_toast') order by 1");
    const cat = await c.query("select to_regclass('pgcluster.vector_collections') is not null as t");
    const rows = cat.rows[0].t ? (await c.query('select * from pgcluster.vector_collections order by name')).rows : [];
    return JSON.stringify({ rel: rel.rows, rows });
  });

const space = embeddingSpace({ dimension: 8, clusters: 5, seed: 4 });

test('create-collection, insert, create index, search and benchmark through the executor; dry runs change nothing', async () => {
  const empty = await snapshot();
  const dry = await run(VectorIndexSkill, { action: 'create-collection', collection: 'sk', dimension: 8 }, { dryRun: true });
  expect(dry.status).toBe('planned');
  expect(dry.plan!.map((p) => p.text).join('\n')).toContain('CREATE TABLE "public"."sk"');
  expect(await snapshot()).toBe(empty);

  const created = await run(VectorIndexSkill, { action: 'create-collection', collection: 'sk', dimension: 8 });
  expect(created).toMatchObject({ ok: true, rollback: { skill: 'vector-drop', input: { target: 'collection', collection: 'sk' } } });

  const rows = [...space.rows(500)].map((r) => ({ key: r.key, embedding: Array.from(r.embedding), metadata: r.metadata }));
  const ins = await run(VectorInsertSkill, { collection: 'sk', rows });
  expect(ins).toMatchObject({ ok: true, data: { rows: 500, inserted: 500 } });

  // index create --dry-run: the plan holds the statements, and the catalogue is unchanged.
  const before = await snapshot();
  const plan = await run(VectorIndexSkill, { action: 'create', collection: 'sk', profile: 'accuracy' }, { dryRun: true });
  expect(plan.status).toBe('planned');
  const text = plan.plan!.map((p) => p.text).join('\n');
  expect(text).toContain('CREATE INDEX CONCURRENTLY IF NOT EXISTS "sk_embedding_hnsw" ON "public"."sk" USING hnsw (embedding vector_cosine_ops) WITH (m = 32, ef_construction = 400)');
  expect(text).toMatch(/maintenance_work_mem/);
  expect(text).toMatch(/apply only when the index is built/);
  expect(await snapshot()).toBe(before);

  const built = await run(VectorIndexSkill, { action: 'create', collection: 'sk', profile: 'accuracy' });
  expect(built).toMatchObject({ ok: true, data: { build: { index: 'sk_embedding_hnsw', params: { m: 32, ef_construction: 400 }, defaultEfSearch: 400 } } });
  expect(built.rollback).toMatchObject({ skill: 'vector-drop', input: { target: 'index', index: 'sk_embedding_hnsw' } });

  const search = await run(VectorSearchSkill, { collection: 'sk', vector: rows[3]!.embedding, k: 3, readFrom: 'primary' });
  expect(exitCodeFor(search)).toBe(0);
  expect(VectorSearchOutput.parse(search.data).matches[0]!.key).toBe(rows[3]!.key);
  expect(VectorSearchOutput.parse(search.data).efSearch).toBe(400);

  const bad = await run(VectorSearchSkill, { collection: 'sk"; drop table sk; --', vector: [1] });
  expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  expect(exitCodeFor(bad)).toBe(2);

  const status = await run(VectorIndexSkill, { action: 'status', collection: 'sk' });
  expect(status).toMatchObject({ ok: true, status: 'ok', data: { indexes: [{ name: 'sk_embedding_hnsw', valid: true }] } });

  const tune = await run(VectorIndexSkill, { action: 'tune', collection: 'sk', targetRecall: 0.9, sampleSize: 20 });
  expect(tune).toMatchObject({ ok: true, data: { tune: { reached: true, stored: true, previousEfSearch: 400 } } });

  const bench = await run(VectorBenchmarkSkill, { collection: 'sk', efSearch: [10, 40], operations: 50, concurrency: 2, sampleSize: 10 });
  expect(bench.ok).toBe(true);
  const b = VectorBenchmarkOutput.parse(bench.data);
  expect(b.points.map((p) => p.efSearch)).toEqual([10, 40]);
  expect(b.points[1]!.recall).toBeGreaterThan(0.8);
  expect(b.points[1]!.qps).toBeGreaterThan(0);
});

test('vector-drop refuses without confirmation, and a dropped index comes back through its rollback', async () => {
  const before = await snapshot();
  const refused = await run(VectorDropSkill, { target: 'index', collection: 'sk' });
  expect(refused.status).toBe('refused');
  expect(exitCodeFor(refused)).toBe(3);
  expect(refused.plan!.map((p) => p.text).join('\n')).toContain('DROP INDEX CONCURRENTLY IF EXISTS "public"."sk_embedding_hnsw"');
  expect(await snapshot()).toBe(before);

  const dropped = await run(VectorDropSkill, { target: 'index', collection: 'sk' }, { yes: true });
  expect(dropped).toMatchObject({ ok: true, data: { dropped: true, index: 'sk_embedding_hnsw' } });
  expect(VectorDropOutput.parse(dropped.data).definition).toContain('USING hnsw');
  const rb = dropped.rollback!;
  expect(rb).toMatchObject({ skill: 'vector-index', input: { action: 'create', collection: 'sk', m: 32, efConstruction: 400 } });
  const again = await run(VectorIndexSkill, rb.input);
  expect(again).toMatchObject({ ok: true, data: { build: { index: 'sk_embedding_hnsw', params: { m: 32, ef_construction: 400 } } } });

  const dc = await run(VectorDropSkill, { target: 'collection', collection: 'sk' }, { yes: true });
  expect(dc).toMatchObject({ ok: true, data: { dropped: true } });
  const list = await run(VectorIndexSkill, { action: 'list' });
  expect(list.data).toMatchObject({ collections: [] });
});

test('removing what is already gone succeeds with dropped false, and a typo in a collection name gets a suggestion', async () => {
  await run(VectorIndexSkill, { action: 'create-collection', collection: 'gone', dimension: 8 });
  const noIndex = await run(VectorDropSkill, { target: 'index', collection: 'gone' }, { yes: true });
  expect(noIndex).toMatchObject({ ok: true, status: 'ok', data: { dropped: false, index: null } });
  const namedAbsent = await run(VectorDropSkill, { target: 'index', collection: 'gone', index: 'gone_old_idx' }, { yes: true });
  expect(namedAbsent).toMatchObject({ ok: true, data: { dropped: false } });
  const plan = await run(VectorDropSkill, { target: 'index', collection: 'gone' }, { dryRun: true });
  expect(plan.plan).toEqual([expect.objectContaining({ kind: 'note', text: expect.stringContaining('nothing to drop') })]);

  const typo = await run(VectorIndexSkill, { action: 'describe', collection: 'gnoe' });
  expect(typo.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^--collection \(collection\): no collection named gnoe .*did you mean gone\?/) });

  expect((await run(VectorDropSkill, { target: 'collection', collection: 'gone' }, { yes: true })).data).toMatchObject({ dropped: true });
  const again = await run(VectorDropSkill, { target: 'collection', collection: 'gone' }, { yes: true });
  expect(again).toMatchObject({ ok: true, data: { dropped: false }, alerts: [] });
  expect(exitCodeFor(again)).toBe(0);
});

test('a missing --file is INVALID_INPUT naming --file before anything runs, in a dry run too', async () => {
  await run(VectorIndexSkill, { action: 'create-collection', collection: 'files', dimension: 8 });
  for (const dryRun of [true, false]) {
    const missing = await run(VectorInsertSkill, { collection: 'files', file: '/nonexistent/embeddings.ndjson' }, { dryRun, yes: true });
    expect(missing).toMatchObject({ ok: false, status: 'error', error: { code: 'INVALID_INPUT', message: '--file (file): /nonexistent/embeddings.ndjson does not exist' } });
    expect(exitCodeFor(missing)).toBe(2);
  }
  await run(VectorDropSkill, { target: 'collection', collection: 'files' }, { yes: true });
});

test('vector-index rebuilds an invalid HNSW index of any table by its schema-qualified name, as cluster-status reports it', async () => {
  await withClient({ url: cluster().url() }, 'plain table with an HNSW index', async (c) => {
    await c.query('create table public.items (id int primary key, embedding vector(3))');
    await c.query("insert into public.items select g, ('[' || g || ',1,2]')::vector from generate_series(1, 50) g");
    await c.query('create index items_embedding_idx on public.items using hnsw (embedding vector_l2_ops)');
    await c.query("update pg_index set indisvalid = false where indexrelid = 'public.items_embedding_idx'::regclass");
  });
  try {
    const input = { action: 'rebuild', index: 'public.items_embedding_idx' };
    const dry = await run(VectorIndexSkill, input, { dryRun: true });
    expect(dry.plan!.map((p) => p.text)).toContain('REINDEX INDEX CONCURRENTLY "public"."items_embedding_idx"');
    const rebuilt = await run(VectorIndexSkill, input);
    expect(rebuilt).toMatchObject({ ok: true, data: { action: 'rebuild', collection: null, build: { index: 'public.items_embedding_idx', method: 'hnsw' } } });
    const valid = await withClient({ url: cluster().url() }, 'validity', (c) => c.query("select indisvalid from pg_index where indexrelid = 'public.items_embedding_idx'::regclass"));
    expect(valid.rows[0].indisvalid).toBe(true);

    const typo = await run(VectorIndexSkill, { action: 'rebuild', index: 'other.items_embedding_idx' });
    expect(typo.error?.message).toBe('--index (index): no HNSW or IVFFlat index other.items_embedding_idx in this database; did you mean public.items_embedding_idx?');
    const bare = await run(VectorIndexSkill, { action: 'rebuild', index: 'items_embedding_idx' });
    expect(bare.error?.message).toBe('--collection (collection): is required for action rebuild, unless --index names a schema-qualified index (schema.index)');
    const injected = await run(VectorIndexSkill, { action: 'rebuild', index: 'public.x"; drop table items; --' });
    expect(injected.error?.code).toBe('INVALID_INPUT');
  } finally {
    await withClient({ url: cluster().url() }, 'cleanup', (c) => c.query('drop table public.items'));
  }
});

test('one run, one resolution of the node roles: a search resolves them once, a write dry run shares them between plan and audit', async () => {
  await run(VectorIndexSkill, { action: 'create-collection', collection: 'scoped', dimension: 8 });
  const rows = [...space.rows(50)].map((r) => ({ key: r.key, embedding: Array.from(r.embedding) }));
  expect((await run(VectorInsertSkill, { collection: 'scoped', rows })).ok).toBe(true);
  const counting = () => {
    const real = createTopologyProvider(loaded().config);
    let n = 0;
    return { topology: { kind: real.kind, resolve: (signal?: AbortSignal) => (n++, real.resolve(signal)) }, resolutions: () => n };
  };
  const search = counting();
  const found = await run(VectorSearchSkill, { collection: 'scoped', vector: rows[0]!.embedding, k: 3 }, { topology: search.topology });
  expect(found).toMatchObject({ ok: true, status: 'ok' });
  expect(VectorSearchOutput.parse(found.data).matches).toHaveLength(3);
  expect(search.resolutions()).toBe(1); // was 3: plan, run and audit each resolved the roles
  const status = counting();
  expect((await run(VectorIndexSkill, { action: 'status', collection: 'scoped' }, { topology: status.topology })).ok).toBe(true);
  expect(status.resolutions()).toBe(1);
  const dry = counting();
  const planned = await run(VectorIndexSkill, { action: 'create', collection: 'scoped' }, { topology: dry.topology, dryRun: true });
  expect(planned.status).toBe('planned');
  expect(dry.resolutions()).toBe(1);
});
