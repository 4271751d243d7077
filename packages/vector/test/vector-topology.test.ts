import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, PgClusterError, withClient } from '@pgcluster/core';
import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { createCollection, insertVectors, openVectorDb, searchVectors, VectorInsertSkill, type VectorDb } from '../src';

// A primary and two streaming replicas; the tests run in order and change the roles for real:
// a paused replica (lag), a failover with the handle still open, then a second promotion that
// leaves two primaries (a split brain).
const cluster = useCluster({ replicas: 2, fast: true, extensions: ['vector'] });
const DIM = 4;
const config = () => ClusterConfig.parse({ name: 'topology', nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url() })) });
const port = (node: string) => String(cluster().nodes.find((n) => n.name === node)!.port);
const sql = async <T = Record<string, unknown>>(node: string, text: string): Promise<T[]> =>
  withClient({ url: cluster().url(node) }, 'test query', async (c) => (await c.query(text)).rows as T[]);
const count = async (node: string) => Number((await sql<{ n: string }>(node, 'select count(*)::text as n from topo'))[0]!.n);
const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, embedding: [from + i, 1, 0, 0] }));

let db: VectorDb;
beforeAll(async () => {
  db = await openVectorDb({ cluster: config(), maxReplicaLagBytes: 1024, topologyTtlMs: 0 });
  await createCollection(db, { name: 'topo', dimension: DIM });
  await insertVectors(db, 'topo', rows(0, 10));
});
const stateDir = mkdtempSync(join(tmpdir(), 'pgc-vector-topology-'));
afterAll(async () => {
  await db?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

test('reads skip a replica that lags beyond the bound', async () => {
  await sql('node2', 'select pg_wal_replay_pause()');
  try {
    // ~100 kB of WAL that node2 does not replay.
    await insertVectors(db, 'topo', rows(1000, 2000));
    await db.refresh();
    expect(db.replicaLabels.some((l) => l.includes(`:${port('node2')}/`))).toBe(false);
    for (let i = 0; i < 4; i++) expect(db.readPool().label).not.toContain(`:${port('node2')}/`);
    const found = await searchVectors(db, { collection: 'topo', vector: [1500, 1, 0, 0], k: 1 });
    expect(found.node).not.toContain(`:${port('node2')}/`);
    expect(found.matches).toHaveLength(1);
  } finally {
    await sql('node2', 'select pg_wal_replay_resume()');
  }
});

/** Waits until `node` has replayed all the WAL node1 has written (a replica resumed after a pause catches up later). */
const caughtUp = async (node: string) => {
  const [{ lsn }] = (await sql<{ lsn: string }>('node1', 'select pg_current_wal_lsn()::text as lsn')) as [{ lsn: string }];
  for (let i = 0; i < 600; i++) {
    const [r] = await sql<{ ok: boolean }>(node, `select pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn as ok`);
    if (r!.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${node} did not replay up to ${lsn} within 60 s`);
};

test('an open handle writes to the new primary after a failover', async () => {
  // Counted once node2 has everything node1 wrote: the rows it did not replay while paused above.
  await caughtUp('node2');
  const before = await count('node2');
  await cluster().kill('node1');
  await sql('node2', 'select pg_promote(true, 60)');
  await insertVectors(db, 'topo', rows(5000, 5));
  expect(await count('node2')).toBe(before + 5);
  expect(db.primaryLabel).toContain(`:${port('node2')}/`);
});

test('a write during a split brain is refused with a clear error, on either side', async () => {
  // node3 still follows the dead node1; promoting it too leaves two nodes "not in recovery".
  await sql('node3', 'select pg_promote(true, 60)');
  const [n2, n3] = [await count('node2'), await count('node3')];
  const fresh = await openVectorDb({ cluster: config() });
  try {
    const error = await insertVectors(fresh, 'topo', rows(9000, 3)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PgClusterError);
    expect(error).toMatchObject({ code: 'REFUSED' });
    expect((error as Error).message).toMatch(/^split brain: node2 and node3 both answer as primary \(not in recovery\); .* is refused/);
    expect(fresh.primaryLabel).toBe('no primary (split brain: node2, node3)');
  } finally {
    await fresh.close();
  }
  // The handle opened before the split brain refuses too (its topology is resolved again).
  await expect(insertVectors(db, 'topo', rows(9100, 3))).rejects.toMatchObject({ code: 'REFUSED' });
  expect([await count('node2'), await count('node3')]).toEqual([n2, n3]);
});

test('vector-insert in a split brain: exit 2 with the reason (REFUSED), the audit record only in the file, no row on either primary', async () => {
  const envelope = await executeSkill(VectorInsertSkill, { collection: 'topo', rows: rows(9200, 2) }, { actor: 'cli', config: { config: config(), source: 'test', stateDir } });
  expect(exitCodeFor(envelope)).toBe(2);
  expect(envelope.error).toMatchObject({ code: 'REFUSED', message: expect.stringMatching(/^split brain: node2 and node3 both answer as primary/) });
  expect(readFileSync(join(stateDir, 'audit', 'audit.jsonl'), 'utf8')).toContain(envelope.auditId!);
  for (const node of ['node2', 'node3']) {
    const [t] = await sql<{ t: string | null }>(node, "select to_regclass('pgcluster.audit_log')::text as t");
    const written = t!.t ? await sql(node, `select 1 from pgcluster.audit_log where id = '${envelope.auditId!}'`) : [];
    expect(written).toEqual([]);
  }
});
