import { withClient } from '@pgcluster/core';
import { startCluster, useCluster } from '@pgcluster/testing';

// The url provider is pointed at a server this file starts itself (never the system's 5432).
const local = useCluster({ replicas: 0, fast: true });

describe('the url provider', () => {
  test('uses an existing server as a single node, and never stops, kills or restarts it', async () => {
    const server = local();
    const cluster = await startCluster({ provider: 'url', url: server.url() });

    expect(cluster.provider).toBe('url');
    expect(cluster.nodes.map((n) => [n.name, n.port])).toEqual([['node1', server.primary.port]]);
    expect(cluster.replicas).toEqual([]);
    expect(cluster.database).toBe('pgcluster');
    expect(await cluster.status()).toEqual([
      expect.objectContaining({ name: 'node1', role: 'primary', state: 'up', lagBytes: null }),
    ]);
    await expect(cluster.kill('node1')).rejects.toMatchObject({ code: 'NOT_SUPPORTED', message: expect.stringContaining('kill is not supported by the url provider') });
    await expect(cluster.restart('node1')).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });

    await cluster.stop({ purge: true });
    expect(await server.isRunning(server.primary)).toBe(true);
    const one = await withClient({ url: cluster.url() }, 'after stop', async (c) => (await c.query<{ one: number }>('select 1 as one')).rows[0]?.one);
    expect(one).toBe(1);
  });

  test('is chosen by PGCLUSTER_TEST_PROVIDER with PGCLUSTER_TEST_URL', async () => {
    const saved = { provider: process.env['PGCLUSTER_TEST_PROVIDER'], url: process.env['PGCLUSTER_TEST_URL'] };
    process.env['PGCLUSTER_TEST_PROVIDER'] = 'url';
    process.env['PGCLUSTER_TEST_URL'] = local().url(undefined, 'postgres');
    try {
      const cluster = await startCluster({ extensions: [] });
      expect(cluster.provider).toBe('url');
      expect(cluster.database).toBe('postgres');
      expect(cluster.primary.port).toBe(local().primary.port);
    } finally {
      for (const [k, v] of [['PGCLUSTER_TEST_PROVIDER', saved.provider], ['PGCLUSTER_TEST_URL', saved.url]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});
