/**
 * `pnpm bench:failover` — recovery time and acknowledged-write loss when the primary is lost
 * (DESIGN.md §7; no baseline: the goals are absolute).
 *
 * - rto_native_s: a primary and two replicas, synchronous (ANY 1), no HA manager. A writer
 *   inserts sequential ids through ClusterPools (static topology); the primary's postmaster gets
 *   SIGKILL; cluster-failover (action failover, --rewind, --yes) runs through the executor at
 *   once. RTO = SIGKILL → the first write acknowledged afterwards. Median of BENCH_RUNS (5).
 *   After each run the bench sets synchronous_standby_names on the new primary (a native
 *   failover does not carry it over; Patroni's synchronous_mode does).
 * - rto_patroni_s: etcd + 3 Patroni nodes (ttl 10, loop_wait 2, retry_timeout 4), asynchronous.
 *   The leader node is lost (Patroni and postmaster SIGKILLed); Patroni fails over by itself
 *   after the leader key expires; the writer's ClusterPools (Patroni topology, asking any member
 *   that answers) follows. Goal: ≤ ttl + 2 s.
 * - lost_acked_writes_sync / _async: acknowledged ids missing on the new primary, summed over the
 *   runs (sync: the native runs; async: the Patroni runs).
 */
import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { ClusterFailoverSkill } from '@pgcluster/operations';
import { createClusterPools, createPatroniTopology, memberUrlFromTemplate, type ClusterPools, type TopologyProvider } from '@pgcluster/pools';
import { executeSkill } from '@pgcluster/skill-kit';
import { isHaClusterHandle, startCluster, type ClusterHandle, type HaClusterHandle } from '@pgcluster/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, metric, writeReport } from '../lib/report';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const log = (s: string) => process.stderr.write(`[bench:failover] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await Promise.resolve(fn()).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

interface Writer {
  acked: number[];
  ackedAt: number[];
  /** When the attempt that was acknowledged started (ms since epoch), parallel to `acked`. */
  startedAt: number[];
  stop(): Promise<void>;
}

function startWriter(pools: ClusterPools, table: string): Writer {
  let running = true;
  let next = 1;
  const acked: number[] = [];
  const ackedAt: number[] = [];
  const startedAt: number[] = [];
  const loop = (async () => {
    while (running) {
      const t = Date.now();
      try {
        await pools.write((c) => c.query(`insert into ${table} (id) values ($1) on conflict do nothing`, [next]), { retryable: true });
        acked.push(next);
        ackedAt.push(Date.now());
        startedAt.push(t);
        next += 1;
      } catch {
        await sleep(20);
      }
    }
  })();
  return { acked, ackedAt, startedAt, stop: async () => { running = false; await loop; } };
}

/** Runs one kill → recovery cycle and returns the RTO (s) and the ids lost. */
async function cycle(writer: Writer, kill: () => Promise<void>, recover: () => Promise<void>, primaryUrl: () => Promise<string>, table: string): Promise<{ rto: number; lost: number }> {
  const before = writer.acked.length;
  await until('writes flowing', () => writer.acked.length >= before + 50, 20_000);
  const killedAt = Date.now();
  await kill();
  // Every process of the old primary is gone now: a write that starts from here on can only succeed on a new primary
  // (acknowledgements from the old primary's surviving backends in between do not count as recovered).
  const goneAt = Date.now();
  await recover();
  const recovered = () => writer.acked.findIndex((_, i) => writer.startedAt[i]! >= goneAt);
  await until('a write acknowledged after the kill', () => recovered() >= 0, 60_000);
  const rto = (writer.ackedAt[recovered()]! - killedAt) / 1000;
  const url = await primaryUrl();
  // Only ids acknowledged before the read can be expected in it (the writer keeps going).
  const acknowledged = writer.acked.length;
  const present = await withClient({ url }, 'reading ids', async (c) => new Set((await c.query<{ id: number }>(`select id from ${table}`)).rows.map((r) => r.id)));
  const lostIds = writer.acked.slice(0, acknowledged).map((id, i) => ({ id, i })).filter(({ id }) => !present.has(id));
  if (lostIds.length > 0) {
    // The first and last loss say enough; thousands of ids on one line do not.
    const first = lostIds[0]!;
    const last = lostIds[lostIds.length - 1]!;
    const at = (i: number) => writer.ackedAt[i]! - killedAt;
    log(
      `${lostIds.length} acknowledged id(s) lost: ${first.id} (acknowledged ${at(first.i)} ms after SIGKILL)` +
        `${lostIds.length > 1 ? ` … ${last.id} (${at(last.i)} ms)` : ''}; the old processes were gone ${goneAt - killedAt} ms after SIGKILL`,
    );
  }
  return { rto, lost: lostIds.length };
}

async function primaryOf(nodes: readonly { name: string; url: string }[]): Promise<{ name: string; url: string }> {
  for (const n of nodes) {
    const isPrimary = await withClient({ url: n.url, connectTimeoutMs: 1_000 }, 'role', async (c) => (await c.query<{ r: boolean }>('select pg_is_in_recovery() as r')).rows[0]!.r === false).catch(() => false);
    if (isPrimary) return n;
  }
  throw new Error('no primary');
}

async function native(): Promise<{ rtos: number[]; lost: number; postgres: string }> {
  const cluster: ClusterHandle = await startCluster({ replicas: 2, synchronous: true, log });
  const postgres = await withClient({ url: cluster.url() }, 'version', async (c) => (await c.query<{ v: string }>('show server_version')).rows[0]!.v);
  const stateDir = mkdtempSync(join(tmpdir(), 'pgc-bench-failover-'));
  const nodes = cluster.nodes.map((n) => ({ name: n.name, url: n.url(), dataDir: n.dataDir }));
  const loaded: LoadedConfig = { config: ClusterConfig.parse({ name: 'bench', nodes }), source: 'bench', stateDir };
  const pools = createClusterPools(loaded.config, { failoverTimeoutMs: 30_000, topologyTtlMs: 200, retryIntervalMs: 50 });
  const rtos: number[] = [];
  let lost = 0;
  try {
    await pools.write((c) => c.query('create table bench_native (id int primary key)'));
    const writer = startWriter(pools, 'bench_native');
    try {
      for (let i = 0; i < RUNS; i += 1) {
        const primary = await primaryOf(nodes);
        const r = await cycle(
          writer,
          () => cluster.kill(primary.name),
          async () => {
            const env = await executeSkill(ClusterFailoverSkill, { action: 'failover', rewind: true }, { actor: 'cli', yes: true, config: loaded, timeoutMs: 120_000, audit: false });
            if (env.error) throw new Error(`failover: ${env.error.message}`);
            const data = env.data as { to: string; reason: string };
            log(`native run ${i + 1}: ${primary.name} killed, ${data.to} promoted (${data.reason})`);
          },
          async () => (await primaryOf(nodes)).url,
          'bench_native',
        );
        rtos.push(r.rto);
        lost += r.lost;
        log(`native run ${i + 1}: RTO ${r.rto.toFixed(2)} s, ${r.lost} acknowledged id(s) lost`);
        // Keep the next run synchronous: the new primary waits for ANY 1 of the others.
        const p = await primaryOf(nodes);
        const standbys = nodes.filter((n) => n.name !== p.name).map((n) => `"${n.name}"`).join(', ');
        await withClient({ url: p.url }, 'synchronous_standby_names', async (c) => {
          await c.query(`alter system set synchronous_standby_names = 'ANY 1 (${standbys})'`);
          await c.query('select pg_reload_conf()');
        });
        await until('both replicas streaming', async () =>
          withClient({ url: p.url }, 'replication', async (c) => (await c.query("select 1 from pg_stat_replication where state = 'streaming'")).rowCount === 2), 30_000);
      }
    } finally {
      await writer.stop();
    }
  } finally {
    await pools.close();
    await cluster.stop({ purge: true }).catch(() => cluster.destroySync());
    rmSync(stateDir, { recursive: true, force: true });
  }
  return { rtos, lost, postgres };
}

/** The pools' own Patroni provider, asking each member's REST API until one answers. */
function anyMemberTopology(cluster: HaClusterHandle): TopologyProvider {
  const providers = cluster.nodes.map((n) => createPatroniTopology({ url: cluster.patroniUrl(n.name), memberUrl: memberUrlFromTemplate(cluster.url()), timeoutMs: 500 }));
  return {
    kind: 'patroni',
    async resolve(signal) {
      let last;
      for (const p of providers) {
        last = await p.resolve(signal);
        if (last.members.length > 0) return last;
      }
      return last!;
    },
  };
}

async function patroni(): Promise<{ rtos: number[]; lost: number; ttl: number }> {
  const handle = await startCluster({ ha: true, replicas: 2, synchronous: false, log });
  if (!isHaClusterHandle(handle)) throw new Error('expected an HA cluster');
  const cluster = handle;
  const config = ClusterConfig.parse({ name: 'bench', patroni: { url: cluster.patroniUrl('node1') }, nodes: cluster.nodes.map((n) => ({ name: n.name, url: n.url() })) });
  const pools = createClusterPools(config, { provider: anyMemberTopology(cluster), failoverTimeoutMs: 40_000, topologyTtlMs: 200, retryIntervalMs: 50 });
  const rtos: number[] = [];
  let lost = 0;
  try {
    await pools.write((c) => c.query('create table bench_patroni (id int primary key)'));
    const writer = startWriter(pools, 'bench_patroni');
    try {
      for (let i = 0; i < RUNS; i += 1) {
        const leader = (await cluster.leader())!;
        const r = await cycle(
          writer,
          () => cluster.crash(leader),
          async () => undefined, // Patroni heals by itself
          async () => {
            await until('a new leader', async () => !!(await cluster.leader()) && (await cluster.leader()) !== leader, 60_000);
            return cluster.url((await cluster.leader())!);
          },
          'bench_patroni',
        );
        rtos.push(r.rto);
        lost += r.lost;
        log(`patroni run ${i + 1}: ${leader} lost, ${await cluster.leader()} leads; RTO ${r.rto.toFixed(2)} s, ${r.lost} acknowledged id(s) lost`);
        await cluster.restart(leader);
        await until('every member running again', async () => {
          const m = await cluster.members();
          return m.length === 3 && m.every((x) => ['running', 'streaming'].includes(x.state));
        }, 60_000);
      }
    } finally {
      await writer.stop();
    }
  } finally {
    await pools.close();
    await cluster.stop({ purge: true }).catch(() => cluster.destroySync());
  }
  return { rtos, lost, ttl: cluster.timings.ttl };
}

async function main(): Promise<void> {
  const started = Date.now();
  const n = await native();
  if (process.env['BENCH_ONLY'] === 'native') return;
  const p = await patroni();
  log(`native RTOs: ${n.rtos.map((x) => x.toFixed(2)).join(', ')} s; Patroni RTOs: ${p.rtos.map((x) => x.toFixed(2)).join(', ')} s`);
  writeReport('failover', n.postgres, [
    metric('rto_native_s', 's', 'lower-is-better', median(n.rtos), null, `≤ 5 s (median of ${RUNS}; SIGKILL → first write through ClusterPools; cluster-failover --rewind)`),
    metric('rto_patroni_s', 's', 'lower-is-better', median(p.rtos), null, `≤ ttl + 2 s = ${p.ttl + 2} s (Patroni ttl ${p.ttl}, loop_wait 2, retry_timeout 4; leader node lost)`),
    metric('lost_acked_writes_sync', 'writes', 'lower-is-better', n.lost, null, `0 (synchronous ANY 1, native mode, ${RUNS} runs)`),
    metric('lost_acked_writes_async', 'writes', 'lower-is-better', p.lost, null, `reported (asynchronous, Patroni mode, ${RUNS} runs)`),
  ]);
  log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((error) => {
  process.stderr.write(`[bench:failover] failed: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
