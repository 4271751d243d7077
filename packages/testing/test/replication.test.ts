import { withClient } from '@pgcluster/core';
import { attachCluster, useCluster } from '@pgcluster/testing';

const cluster = useCluster({ replicas: 2, fast: true });

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('a local cluster with two streaming replicas', () => {
  test('every replica streams from node1', async () => {
    const statuses = await cluster().status();
    expect(statuses.map((s) => [s.name, s.role, s.state])).toEqual([
      ['node1', 'primary', 'up'],
      ['node2', 'replica', 'up'],
      ['node3', 'replica', 'up'],
    ]);
    for (const r of statuses.filter((s) => s.role === 'replica')) {
      expect(r.replicationState).toBe('streaming');
      expect(r.lagBytes).toBeGreaterThanOrEqual(0);
    }
  });

  test('a write on the primary is read back on a replica', async () => {
    const c = cluster();
    await withClient({ url: c.url() }, 'writing', async (db) => {
      await db.query('create table items (id int primary key, label text)');
      await db.query('insert into items values ($1, $2)', [1, 'written on the primary']);
    });
    for (const replica of c.replicas) {
      const label = await waitFor(`the row on ${replica.name}`, () =>
        withClient({ url: replica.url() }, 'reading', async (db) => {
          const { rows } = await db.query<{ label: string }>('select label from items where id = 1');
          return rows[0]?.label;
        }),
      );
      expect(label).toBe('written on the primary');
    }
  });

  test('vector 0.8.0, pg_stat_statements and hypopg exist on the primary and a replica', async () => {
    const c = cluster();
    for (const node of [c.primary, c.replicas[0]!]) {
      const versions = await withClient({ url: node.url() }, 'reading extensions', async (db) => {
        const { rows } = await db.query<{ extname: string; extversion: string }>('select extname, extversion from pg_extension');
        return Object.fromEntries(rows.map((r) => [r.extname, r.extversion]));
      });
      expect(versions['vector']).toBe('0.8.0');
      expect(versions).toHaveProperty('pg_stat_statements');
      expect(versions).toHaveProperty('hypopg');
    }
  });

  test('a second process re-attaches through cluster.json', async () => {
    const c = cluster();
    const again = attachCluster(c.baseDir!);
    expect(again.nodes.map((n) => [n.name, n.port])).toEqual(c.nodes.map((n) => [n.name, n.port]));
    expect(again.url('node2')).toBe(c.url('node2'));
    expect((await again.status()).every((s) => s.state === 'up')).toBe(true);
  });

  test('after kill(primary) it is reported down, and restart brings it back', async () => {
    const c = cluster();
    await c.kill(c.primary);
    expect(await c.isRunning('node1')).toBe(false);
    const down = await c.status();
    expect(down.find((s) => s.name === 'node1')).toMatchObject({ role: 'primary', state: 'down' });
    expect(down.filter((s) => s.state === 'up').map((s) => s.role)).toEqual(['replica', 'replica']);

    await c.restart('node1');
    expect(await c.isRunning('node1')).toBe(true);
    const back = await waitFor('replicas streaming again', async () => {
      const s = await c.status();
      return s.every((n) => n.state === 'up' && (n.role === 'primary' || n.replicationState === 'streaming')) ? s : undefined;
    });
    expect(back.map((s) => s.state)).toEqual(['up', 'up', 'up']);
  });
});
