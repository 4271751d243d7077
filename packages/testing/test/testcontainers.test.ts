import { withClient } from '@pgcluster/core';
import { useCluster } from '@pgcluster/testing';

// Without a Docker engine every test here is reported as skipped, with one line on stderr:
// "testcontainers provider skipped: no Docker engine answers (docker info failed)".
const cluster = useCluster({ provider: 'testcontainers', replicas: 1, fast: true });

test('a containerised primary and replica run pgvector 0.8.0 and stream', async () => {
  const c = cluster();
  for (const node of c.nodes) {
    const version = await withClient({ url: node.url() }, 'reading extversion', async (db) =>
      (await db.query<{ v: string }>("select extversion as v from pg_extension where extname = 'vector'")).rows[0]?.v);
    expect(version).toBe('0.8.0');
  }
  expect((await c.status()).find((s) => s.name === 'node2')?.replicationState).toBe('streaming');
});
