import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, withClient } from '@pgcluster/core';
import { useCluster } from '@pgcluster/testing';
import {
  createCollection,
  createIndex,
  describeCollection,
  dropCollection,
  dropIndex,
  embeddingSpace,
  indexStatus,
  insertVectors,
  listCollections,
  openVectorDb,
  readVectorFile,
  rebuildIndex,
  recallAtK,
  searchVectors,
  tuneEfSearch,
  type VectorDb,
  type VectorRow,
  VectorRowError,
} from '../src';
import { encodeVector } from '../src/copy/vector-binary';

// One real cluster (a primary and one streaming replica) for the file; small data only.
const cluster = useCluster({ replicas: 1, fast: true, extensions: ['vector'] });
const DIM = 32;
const space = embeddingSpace({ dimension: DIM, clusters: 20, seed: 5 });
let db: VectorDb;

const sql = async <T = Record<string, unknown>>(text: string, values: unknown[] = [], node = 'node1'): Promise<T[]> =>
  withClient({ url: cluster().url(node) }, 'test query', async (c) => (await c.query(text, values)).rows as T[]);

beforeAll(async () => {
  db = await openVectorDb({ primaryUrl: cluster().url(), replicaUrls: [cluster().url('node2')] });
});
afterAll(async () => {
  await db?.close();
});

describe('binary format', () => {
  test('our encoder produces the bytes of vector_send / halfvec_send, and COPY round-trips to the same text', async () => {
    const values = [0, 1, -1, 0.1, 1 / 3, -2.5e-7, 3.4e38, 65504, 1e-5, 6.1e-5, 123.456, -7.25];
    const [v] = await sql<{ b: Buffer; t: string }>('select vector_send($1::vector) as b, $1::vector::text as t', [`[${values.join(',')}]`]);
    expect(encodeVector('vector', values).equals(v!.b)).toBe(true);
    const halfValues = values.filter((x) => Math.abs(x) <= 65504);
    const [h] = await sql<{ b: Buffer }>('select halfvec_send($1::halfvec) as b', [`[${halfValues.join(',')}]`]);
    expect(encodeVector('halfvec', halfValues).toString('hex')).toBe(h!.b.toString('hex'));
    // Random values, many magnitudes, halfvec subnormals included.
    const rnd = Array.from({ length: 200 }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1 * 10 ** ((i % 12) - 8));
    const [r] = await sql<{ b: Buffer; h: Buffer }>('select vector_send($1::vector) as b, halfvec_send($1::halfvec) as h', [`[${rnd.join(',')}]`]);
    expect(encodeVector('vector', rnd).equals(r!.b)).toBe(true);
    expect(encodeVector('halfvec', rnd).toString('hex')).toBe(r!.h.toString('hex'));

    await createCollection(db, { name: 'fmt_v', dimension: values.length });
    await createCollection(db, { name: 'fmt_h', dimension: halfValues.length, type: 'halfvec' });
    await insertVectors(db, 'fmt_v', [{ key: 'a', embedding: values }]);
    await insertVectors(db, 'fmt_h', [{ key: 'a', embedding: halfValues }]);
    const [cv] = await sql<{ same: boolean }>(`select embedding::text = $1::vector::text as same from fmt_v`, [`[${values.join(',')}]`]);
    const [ch] = await sql<{ same: boolean }>(`select embedding::text = $1::halfvec::text as same from fmt_h`, [`[${halfValues.join(',')}]`]);
    expect(cv!.same).toBe(true);
    expect(ch!.same).toBe(true);
  });
});

describe('collections', () => {
  test.each(['docs; drop table x', 'Docs', 'a"b', "o'brien", 'x'.repeat(60), 'pg_docs', '../etc'])(
    'a hostile or invalid name %p is refused with InputError naming the field, and nothing is created',
    async (name) => {
      const before = await sql<{ n: number }>("select count(*)::int as n from pg_class where relkind = 'r'");
      await expect(createCollection(db, { name, dimension: 3 })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'name' });
      await expect(searchVectors(db, { collection: name, vector: [1, 2, 3] })).rejects.toMatchObject({ field: 'collection' });
      await expect(insertVectors(db, name, [])).rejects.toBeInstanceOf(InputError);
      const after = await sql<{ n: number }>("select count(*)::int as n from pg_class where relkind = 'r'");
      expect(after).toEqual(before);
    },
  );

  test('dimension limits are enforced with a clear message', async () => {
    await expect(createCollection(db, { name: 'big', dimension: 3000 })).rejects.toThrow(/dimension: must be an integer from 1 to 2000 for vector .*halfvec/);
    await expect(createCollection(db, { name: 'big', dimension: 5000, type: 'halfvec' })).rejects.toThrow(/from 1 to 4000 for halfvec/);
  });

  test('create, list, describe and drop', async () => {
    const r = await createCollection(db, { name: 'tmp_c', dimension: 4, metric: 'l2' });
    expect(r.collection).toMatchObject({ name: 'tmp_c', dimension: 4, metric: 'l2', type: 'vector' });
    expect((await createCollection(db, { name: 'tmp_c', dimension: 4, metric: 'l2', ifNotExists: true })).created).toBe(false);
    await expect(createCollection(db, { name: 'tmp_c', dimension: 5 })).rejects.toThrow(/already exists as vector\(4\)/);
    expect((await listCollections(db)).map((c) => c.name)).toContain('tmp_c');
    expect(await describeCollection(db, 'tmp_c')).toMatchObject({ rows: 0, indexes: [] });
    expect(await dropCollection(db, 'tmp_c')).toMatchObject({ dropped: true, shape: { dimension: 4, metric: 'l2' } });
    expect((await listCollections(db)).map((c) => c.name)).not.toContain('tmp_c');
  });
});

describe('insert, index and search', () => {
  const N = 5000;
  beforeAll(async () => {
    await createCollection(db, { name: 'docs', dimension: DIM });
    const progress: number[] = [];
    const r = await insertVectors(db, 'docs', space.rows(N), { onProgress: (p) => progress.push(p.rows), progressEvery: 2000 });
    expect(r).toMatchObject({ rows: N, inserted: N, updated: 0, skipped: 0 });
    expect(r.rowsPerSecond).toBeGreaterThan(0);
    expect(progress).toEqual([2000, 4000, N]);
    await createIndex(db, { collection: 'docs', profile: 'speed' });
  });

  test('each inserted vector is its own nearest neighbour', async () => {
    const sample = [...space.rows(N)].filter((_, i) => i % 100 === 0);
    for (const row of sample) {
      const { matches } = await searchVectors(db, { collection: 'docs', vector: row.embedding, k: 1, readFrom: 'primary' });
      expect(matches[0]!.key).toBe(row.key);
      expect(matches[0]!.similarity).toBeCloseTo(1, 5);
    }
  });

  test('one-round-trip search: ef_search holds for the query only, and a failed search leaves a usable pool', async () => {
    const one = await openVectorDb({ primaryUrl: cluster().url(), poolSize: 1 });
    try {
      const [q] = space.queries(1, 12);
      // Settings are local to the search's own (implicit) transaction: nothing is left on the connection.
      const low = await searchVectors(one, { collection: 'docs', vector: q!, k: 1, efSearch: 1, readFrom: 'primary' });
      expect(low.efSearch).toBe(1);
      const shown = await one.primary.query<{ ef: string; pcm: string; tx: string }>(
        "select current_setting('hnsw.ef_search') as ef, current_setting('plan_cache_mode') as pcm, pg_current_xact_id_if_assigned()::text as tx",
      );
      expect(shown.rows[0]).toEqual({ ef: '40', pcm: 'auto', tx: null });
      // The same client fails (the table is gone) and is discarded; the next search works.
      await one.primary.query('alter table docs rename to docs_moved');
      await expect(searchVectors(one, { collection: 'docs', vector: q!, k: 1, readFrom: 'primary' })).rejects.toThrow(/docs/);
      await one.primary.query('alter table docs_moved rename to docs');
      const again = await searchVectors(one, { collection: 'docs', vector: q!, k: 3, readFrom: 'primary' });
      expect(again.matches).toHaveLength(3);
    } finally {
      await one.close();
    }
  });

  test('a filter matching 1% of rows still returns k rows (iterative scan)', async () => {
    const [q] = space.queries(1, 11);
    const r = await searchVectors(db, { collection: 'docs', vector: q!, k: 10, filter: { bucket: 7 }, readFrom: 'primary', efSearch: 40 });
    expect(r.iterativeScan).toBe('relaxed_order');
    expect(r.matches).toHaveLength(10);
    expect(r.matches.every((m) => m.metadata['bucket'] === 7)).toBe(true);
    const d = r.matches.map((m) => m.distance);
    expect(d).toEqual([...d].sort((a, b) => a - b));
    // Min similarity drops the far ones.
    const s = await searchVectors(db, { collection: 'docs', vector: q!, k: 10, minSimilarity: 2, readFrom: 'primary' });
    expect(s.matches).toEqual([]);
  });

  test('a bad vector (wrong dimension, NaN) is refused with its row number and nothing is written', async () => {
    const count = async () => (await sql<{ n: number }>('select count(*)::int as n from docs'))[0]!.n;
    const before = await count();
    function* rows(bad: (i: number) => VectorRow | undefined): Generator<VectorRow> {
      let i = 0;
      for (const r of space.rows(3000, { keyPrefix: 'new', seed: 9 })) yield bad(++i) ?? r;
    }
    for (const onConflict of ['update', 'error'] as const) {
      const wrongDim = insertVectors(db, 'docs', rows((i) => (i === 2500 ? { key: 'x', embedding: [1, 2, 3] } : undefined)), { onConflict, batchSize: 100 });
      await expect(wrongDim).rejects.toBeInstanceOf(VectorRowError);
      await expect(wrongDim).rejects.toMatchObject({ row: 2500, field: 'rows[2499].embedding' });
      const nan = insertVectors(db, 'docs', rows((i) => (i === 1234 ? { key: 'y', embedding: new Array(DIM).fill(Number.NaN) } : undefined)), { onConflict });
      await expect(nan).rejects.toThrow(/row 1234: element 0 is NaN/);
    }
    expect(await count()).toBe(before);
    // The pooled connections still work after an aborted COPY.
    expect((await searchVectors(db, { collection: 'docs', vector: space.queries(1)[0]!, readFrom: 'primary' })).matches).toHaveLength(10);
  });

  test('upsert by (namespace, key): the last occurrence wins; skip keeps existing; error refuses duplicates', async () => {
    const e = (x: number) => new Array(DIM).fill(x) as number[];
    const r1 = await insertVectors(db, 'docs', [
      { key: '0', embedding: e(1), metadata: { v: 1 } },
      { key: 'u1', embedding: e(1), metadata: { v: 1 } },
      { key: 'u1', embedding: e(2), metadata: { v: 2 } },
      { key: 'u1', embedding: e(3), namespace: 'other', metadata: { v: 3 } },
    ]);
    expect(r1).toMatchObject({ rows: 4, inserted: 2, updated: 1, skipped: 1 });
    const rows = await sql<{ namespace: string; metadata: { v: number } }>("select namespace, metadata from docs where key = 'u1' order by namespace");
    expect(rows).toEqual([{ namespace: '', metadata: { v: 2 } }, { namespace: 'other', metadata: { v: 3 } }]);
    const r2 = await insertVectors(db, 'docs', [{ key: 'u1', embedding: e(9), metadata: { v: 9 } }], { onConflict: 'skip' });
    expect(r2).toMatchObject({ inserted: 0, updated: 0, skipped: 1 });
    await expect(insertVectors(db, 'docs', [{ key: 'u1', embedding: e(9) }], { onConflict: 'error' })).rejects.toMatchObject({ reason: 'constraint_violation' });
    const ns = await searchVectors(db, { collection: 'docs', vector: e(3), k: 5, namespace: 'other', readFrom: 'primary' });
    expect(ns.matches.map((m) => m.key)).toEqual(['u1']);
    await sql("delete from docs where key in ('u1') or (key = '0' and metadata ? 'v')");
  });

  test('tune meets its target on held-out queries, and the default is stored', async () => {
    const t = await tuneEfSearch(db, { collection: 'docs', targetRecall: 0.95, k: 10 });
    expect(t.reached).toBe(true);
    expect(t.sampleSize).toBe(100);
    expect(t.confidence).toBe(0.95);
    // The promise is the lower confidence bound, not the sample's mean; every point carries both.
    expect(t.recallLowerBound).toBeGreaterThanOrEqual(0.95);
    expect(t.recall).toBeGreaterThanOrEqual(t.recallLowerBound);
    for (const p of t.curve.slice(0, -1)) expect(p.recallLowerBound).toBeLessThan(0.95);
    expect(t.curve[t.curve.length - 1]!.efSearch).toBe(t.efSearch);
    const info = await describeCollection(db, 'docs');
    expect(info.defaultEfSearch).toBe(t.efSearch);
    expect(info.tunedRecall).toBe(t.recall);
    // Held out: queries that are not stored rows, answered with the stored default.
    let sum = 0;
    const held = space.queries(100, 1234);
    for (const q of held) {
      const exact = await withClient({ url: cluster().url() }, 'exact', async (c) => {
        await c.query('begin');
        await c.query('set local enable_indexscan = off');
        const r = await c.query<{ key: string }>('select key from docs order by embedding <=> $1::vector limit 10', [`[${Array.from(q).join(',')}]`]);
        await c.query('commit');
        return r.rows.map((x) => `\u0000${x.key}`);
      });
      const r = await searchVectors(db, { collection: 'docs', vector: q, k: 10, readFrom: 'primary' });
      expect(r.efSearch).toBe(t.efSearch);
      sum += recallAtK(exact, r.matches.map((m) => `${m.namespace}\u0000${m.key}`), 10);
    }
    expect(sum / held.length).toBeGreaterThanOrEqual(0.95);
  });

  test('index status, rebuild and drop (with the definition to recreate it)', async () => {
    const s = await indexStatus(db, { collection: 'docs' });
    expect(s.indexes).toHaveLength(1);
    expect(s.indexes[0]).toMatchObject({ name: 'docs_embedding_hnsw', method: 'hnsw', valid: true, params: { m: 16, ef_construction: 100 } });
    expect(s.indexes[0]!.sizeBytes).toBeGreaterThan(0);
    const rb = await rebuildIndex(db, { collection: 'docs', maintenanceWorkMem: '128MB', parallelWorkers: 1 });
    expect(rb).toMatchObject({ index: 'docs_embedding_hnsw', maintenanceWorkMem: '128MB', parallelWorkers: 1 });
    await expect(dropIndex(db, { collection: 'docs', index: 'pg_class' })).rejects.toMatchObject({ field: 'index' });
    await expect(dropIndex(db, { collection: 'docs', index: 'docs_pkey' })).rejects.toThrow(/not a vector index of docs/);
    const d = await dropIndex(db, { collection: 'docs' });
    expect(d.definition).toMatch(/^CREATE INDEX docs_embedding_hnsw ON public\.docs USING hnsw \(embedding vector_cosine_ops\) WITH \(m='?16'?, ef_construction='?100'?\)$/);
    await sql(d.definition!);
    expect((await indexStatus(db, { collection: 'docs' })).indexes).toHaveLength(1);
    const ivf = await createIndex(db, { collection: 'docs', method: 'ivfflat' });
    expect(ivf.params).toEqual({ lists: 5 });
    await dropIndex(db, { collection: 'docs', index: ivf.index });
  });

  test('a search against a replica sees data after replication', async () => {
    const e = new Array(DIM).fill(0).map((_, i) => (i === 3 ? 1 : 0));
    await insertVectors(db, 'docs', [{ key: 'replicated', embedding: e }]);
    const [{ lsn }] = (await sql<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')) as [{ lsn: string }];
    for (let i = 0; i < 100; i++) {
      const [r] = await sql<{ ok: boolean }>('select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok', [lsn], 'node2');
      if (r!.ok) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    const r = await searchVectors(db, { collection: 'docs', vector: e, k: 1 });
    expect(r.node).toBe(db.replicaLabels[0]);
    expect(r.node).toContain(`:${cluster().replicas[0]!.port}`);
    expect(r.matches[0]!.key).toBe('replicated');
  });
});

describe('file loaders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgc-vec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('NDJSON, CSV, .fvecs and .npy stream into a collection', async () => {
    const rows = [...embeddingSpace({ dimension: 4, seed: 2 }).rows(50)];
    writeFileSync(join(dir, 'a.ndjson'), rows.map((r) => JSON.stringify({ id: r.key, vector: Array.from(r.embedding), metadata: r.metadata })).join('\n') + '\n');
    writeFileSync(
      join(dir, 'a.csv'),
      'key,embedding,metadata\n' + rows.map((r) => `${r.key},"[${Array.from(r.embedding).join(',')}]","${JSON.stringify(r.metadata).replace(/"/g, '""')}"`).join('\n'),
    );
    const fvecs = Buffer.alloc(rows.length * (4 + 16));
    rows.forEach((r, i) => {
      fvecs.writeInt32LE(4, i * 20);
      r.embedding.forEach((x, j) => fvecs.writeFloatLE(x, i * 20 + 4 + j * 4));
    });
    writeFileSync(join(dir, 'a.fvecs'), fvecs);
    let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows.length}, 4), }`;
    header = header.padEnd(128 - 10 - 1, ' ') + '\n';
    const pre = Buffer.alloc(10);
    pre.writeUInt8(0x93, 0);
    pre.write('NUMPY', 1, 'latin1');
    pre.writeUInt8(1, 6);
    pre.writeUInt8(0, 7);
    pre.writeUInt16LE(header.length, 8);
    const data = Buffer.alloc(rows.length * 16);
    rows.forEach((r, i) => r.embedding.forEach((x, j) => data.writeFloatLE(x, i * 16 + j * 4)));
    writeFileSync(join(dir, 'a.npy'), Buffer.concat([pre, Buffer.from(header, 'latin1'), data]));

    await createCollection(db, { name: 'files', dimension: 4 });
    const counts = async () =>
      (await sql<{ n: number; m: number }>("select count(*)::int as n, count(*) filter (where metadata ? 'cluster')::int as m from files"))[0];
    for (const f of ['a.ndjson', 'a.csv']) {
      await sql('truncate files');
      expect((await insertVectors(db, 'files', readVectorFile(join(dir, f)))).rows).toBe(50);
      expect(await counts()).toEqual({ n: 50, m: 50 });
    }
    for (const f of ['a.fvecs', 'a.npy']) {
      await sql('truncate files');
      expect((await insertVectors(db, 'files', readVectorFile(join(dir, f)))).rows).toBe(50);
      expect(await counts()).toEqual({ n: 50, m: 0 });
    }
    const top = await searchVectors(db, { collection: 'files', vector: rows[7]!.embedding, k: 1, readFrom: 'primary' });
    expect(top.matches[0]!.key).toBe('7');
  });
});
