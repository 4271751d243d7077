import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { withClient } from '@pgcluster/core';
import { attachCluster, isHaClusterHandle, isLeaderRole, startCluster, type HaClusterHandle } from '@pgcluster/testing';

/** Listening TCP ports of this machine (ss), to prove nothing is left behind. */
function listeningPorts(): Set<number> {
  const out = execFileSync('ss', ['-Hltn'], { encoding: 'utf8' });
  return new Set(out.split('\n').map((l) => Number(l.trim().split(/\s+/)[3]?.split(':').pop())).filter((p) => p > 0));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

describe('startCluster({ ha: true }): etcd + 3 Patroni nodes + PgBouncer', () => {
  let cluster: HaClusterHandle;
  const ports: number[] = [];

  beforeAll(async () => {
    const handle = await startCluster({ ha: true, replicas: 2, fast: true, log: (l) => process.stderr.write(`[ha] ${l}\n`) });
    if (!isHaClusterHandle(handle)) throw new Error('expected an HA handle');
    cluster = handle;
  }, 180_000);

  afterAll(async () => {
    if (cluster && existsSync(cluster.baseDir!)) await cluster.stop({ purge: true }).catch(() => cluster.destroySync());
  }, 120_000);

  test('a leader and two streaming replicas; Patroni, etcd and PgBouncer answer', async () => {
    const members = await cluster.members();
    expect(members.map((m) => m.name).sort()).toEqual(['node1', 'node2', 'node3']);
    expect(members.filter((m) => isLeaderRole(m.role)).map((m) => m.name)).toEqual(['node1']);
    const status = await cluster.status();
    expect(status.filter((s) => s.role === 'replica' && s.replicationState === 'streaming').map((s) => s.name).sort()).toEqual(['node2', 'node3']);
    expect((await fetch(`${cluster.etcdUrl()}/health`)).ok).toBe(true);
    const port = await withClient({ url: cluster.pgbouncerUrl() }, 'through PgBouncer', async (c) => (await c.query<{ p: number }>('select inet_server_port() as p')).rows[0]!.p);
    expect(port).toBe(cluster.primary.port);
    const pools = await withClient({ url: cluster.pgbouncerAdminUrl() }, 'admin console', async (c) => (await c.query<{ database: string; pool_mode: string }>('SHOW POOLS')).rows);
    expect(pools.find((p) => p.database === cluster.database)?.pool_mode).toBe('transaction');
    // The libpq settings Patroni was given: pg_stat_statements preloaded.
    const preload = await withClient({ url: cluster.url() }, 'settings', async (c) => (await c.query<{ s: string }>("select current_setting('shared_preload_libraries') as s")).rows[0]!.s);
    expect(preload).toContain('pg_stat_statements');
  });

  test('a lost leader node (Patroni + postmaster SIGKILLed): a replica takes over and PgBouncer follows it', async () => {
    await cluster.crash('node1');
    const deadline = Date.now() + 40_000;
    let leader: string | undefined;
    while (Date.now() < deadline) {
      leader = await cluster.leader();
      if (leader && leader !== 'node1') break;
      await sleep(250);
    }
    expect(['node2', 'node3']).toContain(leader);
    const leaderPort = cluster.nodes.find((n) => n.name === leader)!.port;
    let port: number | undefined;
    while (Date.now() < deadline && port !== leaderPort) {
      port = await withClient({ url: cluster.pgbouncerUrl(), connectTimeoutMs: 1_000 }, 'through PgBouncer', async (c) => {
        await c.query('create table if not exists after_failover (id int)');
        return (await c.query<{ p: number }>('select inet_server_port() as p')).rows[0]!.p;
      }).catch(() => undefined);
      if (port !== leaderPort) await sleep(250);
    }
    expect(port).toBe(leaderPort);
    await cluster.restart('node1'); // rejoins as a replica (pg_rewind when needed)
    const members = await cluster.members();
    expect(members.find((m) => m.name === 'node1')?.role).not.toMatch(/leader|master/);
  }, 90_000);

  test('attachCluster finds the HA cluster; stop() leaves no process and no port behind', async () => {
    const attached = attachCluster(cluster.baseDir!);
    expect(isHaClusterHandle(attached)).toBe(true);
    const ours = [...cluster.nodes.map((n) => n.port), Number(new URL(cluster.pgbouncerUrl()).port), Number(new URL(cluster.etcdUrl()).port)];
    // node1 rejoined just before: Patroni may still stop it once more for a pg_rewind, so its port can be closed for a moment.
    let before = listeningPorts();
    for (const until = Date.now() + 60_000; Date.now() < until && !ours.every((p) => before.has(p)); before = listeningPorts()) await sleep(250);
    for (const p of ours) expect(before.has(p)).toBe(true);
    ports.push(...ours);
    await attached.stop({ purge: true });
    const after = listeningPorts();
    for (const p of ports) expect(after.has(p)).toBe(false);
    const left = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(cluster.baseDir!) || l.includes(cluster.nodes[0]!.dataDir!));
    expect(left.filter((l) => !l.includes('ps -eo')).filter((l) => pidAlive(Number(l.trim().split(/\s+/)[0])))).toEqual([]);
    expect(existsSync(cluster.baseDir!)).toBe(false);
  }, 90_000);
});
