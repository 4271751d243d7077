import { ClusterConfig, type LoadedConfig, withClient } from '@pgcluster/core';
import { executeSkill } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { embeddingSpace, VectorIndexSkill, VectorInsertSkill } from '../src';

// A rebuild (REINDEX CONCURRENTLY) stopped half-way leaves an invalid <index>_ccnew copy on the
// server; the skill drops it and says so, whether the index is a collection's or named schema.index.
const cluster = useCluster({ replicas: 0, fast: true, extensions: ['vector'] });
const loaded = (): LoadedConfig => ({
  config: ClusterConfig.parse({ name: 'rebuild', nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url() })) }),
  source: 'test',
  stateDir: '/nonexistent',
});
const sql = async <T extends object>(text: string): Promise<T[]> => withClient({ url: cluster().url() }, 'test query', async (c) => (await c.query(text)).rows as T[]);

/** Holds a transaction with an old snapshot until `release()`: a concurrent rebuild waits for it. */
async function holdSnapshot(): Promise<{ release(): Promise<void> }> {
  let release = () => undefined as void;
  const released = new Promise<void>((r) => (release = r));
  let ready = () => undefined as void;
  const started = new Promise<void>((r) => (ready = r));
  const held = withClient({ url: cluster().url(), applicationName: 'rebuild-test-holder' }, 'holding a snapshot', async (c) => {
    await c.query('begin isolation level repeatable read');
    await c.query('select 1');
    ready();
    await released;
    await c.query('rollback');
  });
  await Promise.race([started, held]);
  return { release: async () => (release(), await held) };
}

async function waitUntil(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i += 1) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  const run = (input: unknown) => executeSkill(VectorIndexSkill, input, { config: loaded(), audit: false, timeoutMs: 120_000 });
  expect((await run({ action: 'create-collection', collection: 'rb', dimension: 8 })).ok).toBe(true);
  const rows = [...embeddingSpace({ dimension: 8, clusters: 4, seed: 7 }).rows(2_000)].map((r) => ({ key: r.key, embedding: Array.from(r.embedding) }));
  expect((await executeSkill(VectorInsertSkill, { collection: 'rb', rows }, { config: loaded(), audit: false })).ok).toBe(true);
  expect((await run({ action: 'create', collection: 'rb', profile: 'speed' })).ok).toBe(true);
}, 120_000);

test.each([
  ['the collection', { action: 'rebuild', collection: 'rb' }],
  ['schema.index', { action: 'rebuild', index: 'public.rb_embedding_hnsw' }],
])('a rebuild of %s cancelled while it waits for old snapshots drops its _ccnew copy and leaves the index valid', async (_label, input) => {
  const holder = await holdSnapshot();
  const controller = new AbortController();
  let envelope;
  try {
    const running = executeSkill(VectorIndexSkill, input, { config: loaded(), audit: false, timeoutMs: 120_000, signal: controller.signal });
    await waitUntil('the rebuild to wait for old snapshots', async () =>
      (await sql<{ phase: string }>('select phase from pg_stat_progress_create_index')).some((r) => r.phase.startsWith('waiting for')));
    controller.abort();
    envelope = await running;
  } finally {
    await holder.release();
  }
  expect(envelope.ok).toBe(false);
  expect(envelope.error?.code).toBe('ABORTED');
  expect(`${envelope.error?.message}\n${envelope.alerts.join('\n')}`).toMatch(/invalid copy rb_embedding_hnsw_ccnew\d* it left was dropped; rb_embedding_hnsw itself is unchanged/);
  expect(await sql("select indexrelid::regclass::text as name from pg_index where not indisvalid")).toEqual([]);
  expect(await sql("select indisvalid as valid from pg_index where indexrelid = 'rb_embedding_hnsw'::regclass")).toEqual([{ valid: true }]);
  expect(await sql("select pid from pg_stat_activity where application_name like 'pgcluster%' and pid <> pg_backend_pid()")).toEqual([]);
}, 120_000);
