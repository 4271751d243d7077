import type { ClusterConfig } from '@pgcluster/core';
import pg from 'pg';
import { createClusterPools, kyselyOn, type ClusterPools } from '../src';
import { useCluster } from '@pgcluster/testing';

// Real cluster: node1 primary, node2 and node3 streaming replicas.
const handle = useCluster({ replicas: 2, fast: true });

describe('ClusterPools on a real cluster', () => {
  let config: ClusterConfig;
  let password: string;
  let pools: ClusterPools;

  const direct = async <T>(node: string, database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client(handle().url(node, database));
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };
  const waitFor = async (what: string, check: () => Promise<boolean>, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (!(await check().catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const caughtUp = (node: string) =>
    waitFor(`${node} to catch up`, async () => {
      const lsn = await direct('node1', 'postgres', async (c) => (await c.query('select pg_current_wal_lsn()::text as l')).rows[0].l);
      return direct(node, 'postgres', async (c) => (await c.query('select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok', [lsn])).rows[0].ok);
    });
  const port = (name: string) => handle().nodes.find((n) => n.name === name)!.port;

  beforeAll(async () => {
    password = decodeURIComponent(new URL(handle().url()).password);
    await direct('node1', 'postgres', async (c) => {
      await c.query('create database project');
      await c.query('create database shared');
    });
    await direct('node1', 'project', (c) => c.query('create table items (id int primary key, note text)'));
    config = {
      name: 'pools-test',
      nodes: handle().nodes.map((n) => ({ name: n.name, url: handle().url(n.name, 'postgres') })),
      databases: { project: 'project', shared: 'shared' },
      stateDir: '/nonexistent',
    };
    await caughtUp('node2');
    await caughtUp('node3');
    pools = createClusterPools(config, { maxReplicaLagBytes: 64 * 1024, failoverTimeoutMs: 20_000, retryIntervalMs: 200 });
  });

  afterAll(async () => {
    await pools?.close();
  });

  it('sends writes to the primary and reads to a replica, per named database', async () => {
    const w = await pools.write((c) => c.query('select pg_is_in_recovery() as r, current_database() as d'), { database: 'project' });
    expect(w.rows[0]).toEqual({ r: false, d: 'project' });
    expect(pools.lastRoute).toMatchObject({ purpose: 'write', node: 'node1', attempts: 1 });
    const r = await pools.read((c) => c.query('select pg_is_in_recovery() as r, current_database() as d'), { database: 'shared' });
    expect(r.rows[0]).toEqual({ r: true, d: 'shared' });
    expect(['node2', 'node3']).toContain(pools.lastRoute?.node);
    const dflt = await pools.query('read', 'select current_database() as d');
    expect(dflt.rows[0].d).toBe('postgres');

    const stats = pools.stats();
    const write = stats.find((s) => s.purpose === 'write' && s.database === 'project')!;
    expect(write).toMatchObject({ node: 'node1', role: 'primary', max: 10, waiting: 0 });
    expect(write.address).toBe(`127.0.0.1:${port('node1')}/project`);
    expect(JSON.stringify(stats)).not.toContain(password);
    expect(stats.filter((s) => s.purpose === 'read').every((s) => s.role === 'replica')).toBe(true);
  });

  it('refuses an unknown database name and a bad setting, naming the field', async () => {
    await expect(pools.read((c) => c.query('select 1'), { database: 'nope' })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      field: 'database',
      message: expect.stringContaining('project, shared'),
    });
    await expect(pools.read((c) => c.query('select 1'), { settings: { 'a b': 1 } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('applies per-query settings with SET LOCAL, for that transaction only', async () => {
    const one = createClusterPools(config, { writeMax: 1 });
    try {
      const inside = await one.write((c) => c.query('show statement_timeout'), { settings: { statement_timeout: '1234ms' } });
      expect(inside.rows[0].statement_timeout).toBe('1234ms');
      const after = await one.write((c) => c.query('show statement_timeout'));
      expect(after.rows[0].statement_timeout).toBe('0');
      expect(one.stats()[0]!.total).toBe(1); // the same pooled connection both times
    } finally {
      await one.close();
    }
  });

  it('runs typed Kysely queries inside the helper\'s transaction', async () => {
    interface DB {
      items: { id: number; note: string | null };
    }
    await expect(
      pools.write(async (c) => {
        const db = kyselyOn<DB>(c);
        await db.insertInto('items').values({ id: 950, note: 'typed' }).execute();
        throw new Error('undo it');
      }, { database: 'project' }),
    ).rejects.toThrow('undo it');
    const rows = await pools.write(async (c) => {
      const db = kyselyOn<DB>(c);
      await db.insertInto('items').values({ id: 951, note: 'typed' }).execute();
      return db.selectFrom('items').select(['id', 'note']).where('id', '>=', 950).execute();
    }, { database: 'project' });
    expect(rows).toEqual([{ id: 951, note: 'typed' }]);
    await pools.write((c) => c.query('delete from items where id = 951'), { database: 'project' });
  });

  it('rolls back when the function throws, and keeps the error', async () => {
    await expect(
      pools.write(async (c) => {
        await c.query("insert into items values (900, 'x')");
        throw new Error('caller changed its mind');
      }, { database: 'project' }),
    ).rejects.toThrow('caller changed its mind');
    await expect(pools.write((c) => c.query('insert into items values (1), (1)'), { database: 'project' })).rejects.toMatchObject({
      code: 'QUERY_FAILED',
      reason: 'constraint_violation',
    });
    const n = await pools.write((c) => c.query('select count(*)::int as n from items'), { database: 'project' });
    expect(n.rows[0].n).toBe(0);
  });

  it('resizes pools at runtime', async () => {
    const before = pools.stats().filter((s) => s.purpose === 'read');
    expect(before.length).toBeGreaterThan(0);
    const result = pools.resize({ purpose: 'read', max: 3 });
    expect(result.changed.length).toBe(before.length);
    expect(result.changed.every((c) => c.before === 10 && c.after === 3)).toBe(true);
    expect(pools.stats().filter((s) => s.purpose === 'read').every((s) => s.max === 3)).toBe(true);
    expect(pools.stats().filter((s) => s.purpose === 'write').every((s) => s.max === 10)).toBe(true);
    expect(result.defaults).toEqual({ writeMax: 10, readMax: 3 });
    // concurrency is capped at the new size
    await Promise.all(Array.from({ length: 6 }, () => pools.read((c) => c.query('select pg_sleep(0.05)'), { database: 'shared' })));
    expect(pools.stats().filter((s) => s.purpose === 'read' && s.database === 'shared').every((s) => s.total <= 3)).toBe(true);
    expect(() => pools.resize({ max: 0 })).toThrow(/max: must be an integer from 1/);
    // A saturated pool says so, with the numbers, instead of hanging.
    const tiny = createClusterPools(config, { writeMax: 1, connectTimeoutMs: 300 });
    try {
      let release!: () => void;
      const held = tiny.write(() => new Promise<void>((r) => (release = r)));
      await new Promise((r) => setTimeout(r, 100));
      await expect(tiny.write((c) => c.query('select 1'))).rejects.toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining('max 1, 0 waiting') });
      release();
      await held;
    } finally {
      await tiny.close();
    }
    expect(() => pools.resize({ max: 2.5 })).toThrow(/max/);
    pools.resize({ purpose: 'read', max: 10 });
  });

  it('skips a replica lagging beyond the bound', async () => {
    await direct('node2', 'postgres', (c) => c.query('select pg_wal_replay_pause()'));
    try {
      await pools.write((c) => c.query("insert into items select g, repeat('x', 200) from generate_series(1, 2000) g"), { database: 'project' });
      await caughtUp('node3');
      await pools.refresh();
      const topo = await pools.topology();
      expect(topo.members.find((m) => m.name === 'node2')!.lagBytes).toBeGreaterThan(64 * 1024);
      for (let i = 0; i < 6; i++) {
        const r = await pools.read((c) => c.query("select current_setting('port')::int as p, count(*)::int as n from items"), { database: 'project' });
        expect(r.rows[0]).toEqual({ p: port('node3'), n: 2000 });
      }
    } finally {
      await direct('node2', 'postgres', (c) => c.query('select pg_wal_replay_resume()'));
    }
    await caughtUp('node2');
  });

  it('skips a replica that stopped streaming', async () => {
    // Take node2's primary_conninfo away (its WAL receiver stops), then give it back.
    const conninfo = await direct('node2', 'postgres', async (c) => (await c.query("select setting from pg_settings where name = 'primary_conninfo'")).rows[0].setting as string);
    const setConninfo = (value: string) =>
      direct('node2', 'postgres', async (c) => {
        const stmt = (await c.query("select format('alter system set primary_conninfo = %L', $1::text) as s", [value])).rows[0].s as string;
        await c.query(stmt);
        await c.query('select pg_reload_conf()');
      });
    await setConninfo('');
    try {
      await waitFor('node2 to stop streaming', async () => (await pools.refresh()).members.find((m) => m.name === 'node2')!.state === 'not streaming');
      const topo = await pools.topology();
      expect(topo.members.find((m) => m.name === 'node2')!.lagBytes).toBeUndefined();
      expect(topo.problems.join('\n')).toContain('node2 is a replica but does not stream');
      for (let i = 0; i < 4; i++) {
        const r = await pools.read((c) => c.query("select current_setting('port')::int as p"), { database: 'project' });
        expect(r.rows[0].p).toBe(port('node3'));
      }
    } finally {
      await setConninfo(conninfo);
    }
    await waitFor('node2 to stream again', async () => (await pools.refresh()).members.find((m) => m.name === 'node2')!.state === 'streaming');
  });

  it('skips a killed replica (the read is retried elsewhere)', async () => {
    await handle().kill('node3');
    for (let i = 0; i < 6; i++) {
      const r = await pools.read((c) => c.query("select current_setting('port')::int as p"), { database: 'project' });
      expect(r.rows[0].p).toBe(port('node2'));
    }
    expect((await pools.topology()).members.find((m) => m.name === 'node3')!.role).toBe('unreachable');
  });

  it('after a failover by hand, finds the new primary: a retryable write succeeds, a non-retryable one surfaces the error', async () => {
    await pools.write((c) => c.query('create table ledger (id text primary key)'), { database: 'project' });
    await caughtUp('node2');
    // Two write transactions are mid-way on node1 when it dies.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    let bothStarted!: () => void;
    const allStarted = new Promise<void>((r) => (bothStarted = r));
    const tick = () => (++started === 2 ? bothStarted() : undefined);
    const runs: Promise<unknown>[] = [
      pools
        .write(async (c) => {
          await c.query("insert into ledger values ('plain-1')");
          tick();
          await gate;
          await c.query("insert into ledger values ('plain-2')");
        }, { database: 'project' })
        .then(() => 'ok', (e: unknown) => e),
      pools
        .write(async (c) => {
          await c.query("insert into ledger values ('retry-1') on conflict do nothing");
          tick();
          await gate;
          await c.query("insert into ledger values ('retry-2') on conflict do nothing");
        }, { database: 'project', retryable: true })
        .then(() => 'ok', (e: unknown) => e),
    ];
    await allStarted;
    await handle().kill('node1');
    await direct('node2', 'postgres', (c) => c.query('select pg_promote(true, 30)'));
    release();
    const [plain, retried] = await Promise.all(runs);

    expect(retried).toBe('ok');
    expect(pools.lastRoute).toMatchObject({ node: 'node2' });
    expect(plain).toMatchObject({ code: 'UNREACHABLE', reason: 'connection', message: expect.stringContaining('not retried') });
    expect(String((plain as Error).message)).not.toContain(password);

    const rows = await direct('node2', 'project', async (c) => (await c.query('select id from ledger order by id')).rows.map((r) => r.id));
    expect(rows).toEqual(['retry-1', 'retry-2']);
    const w = await pools.write((c) => c.query("select current_setting('port')::int as p, pg_is_in_recovery() as r"), { database: 'project' });
    expect(w.rows[0]).toEqual({ p: port('node2'), r: false });
    expect(pools.stats().find((s) => s.purpose === 'write' && s.node === 'node1')?.role).toBe('unreachable');
    // No replica left (node1 and node3 are down): reads go to the primary, still read-only.
    const r = await pools.read((c) => c.query("select current_setting('port')::int as p, pg_is_in_recovery() as r"), { database: 'project' });
    expect(r.rows[0]).toEqual({ p: port('node2'), r: false });
    await expect(pools.read((c) => c.query("insert into ledger values ('via-read')"), { database: 'project' })).rejects.toMatchObject({ reason: 'read_only' });
  });

  it('refuses writes while two nodes claim to be primary (the old one came back unfenced)', async () => {
    await handle().restart('node1'); // starts as a primary again: split brain, as the static provider sees it
    const strict = createClusterPools(config, { failoverTimeoutMs: 1_000, retryIntervalMs: 200 });
    try {
      const topology = await strict.refresh();
      expect(topology.primary).toBeUndefined();
      expect(topology.problems.join('\n')).toMatch(/2 members report being primary: node1, node2/);
      await expect(strict.write((c) => c.query('select 1'), { database: 'project' })).rejects.toMatchObject({
        code: 'REFUSED',
        message: expect.stringMatching(/^split brain: node1 and node2 both answer as primary \(not in recovery\); a write is refused/),
      });
    } finally {
      await strict.close();
    }
  });
});
