import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { createClusterPools, type ClusterPools } from '@pgcluster/pools';
import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { isHaClusterHandle, isLeaderRole, startCluster, type HaClusterHandle } from '@pgcluster/testing';
import { ClusterFailoverOutput, ClusterFailoverSkill } from '../src';
import { recoverySeconds, startChaosWriter, until } from './helpers/chaos-writer';

// Patroni mode: etcd + 3 Patroni nodes. The leader node is lost (Patroni and its postmaster
// SIGKILLed); Patroni promotes a replica after the leader key's ttl (10 s) and our pools (the
// patroni topology provider) follow by themselves. The config's Patroni URL is node3's REST API:
// one member's API is all the config holds, so it must not be the one we kill.
describe.each([
  { synchronous: true, label: 'synchronous' },
  { synchronous: false, label: 'asynchronous' },
])('chaos (Patroni, $label): the leader node is lost under writes', ({ synchronous, label }) => {
  let cluster: HaClusterHandle;
  const stateDir = mkdtempSync(join(tmpdir(), 'pgc-chaos-patroni-'));

  beforeAll(async () => {
    const handle = await startCluster({ ha: true, replicas: 2, synchronous, log: (l) => process.stderr.write(`[ha] ${l}\n`) });
    if (!isHaClusterHandle(handle)) throw new Error('expected an HA cluster');
    cluster = handle;
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop({ purge: true }).catch(() => cluster.destroySync());
    rmSync(stateDir, { recursive: true, force: true });
  }, 120_000);

  const loaded = (): LoadedConfig => ({
    config: ClusterConfig.parse({ name: 'chaos', patroni: { url: cluster.patroniUrl('node3') }, nodes: cluster.nodes.map((n) => ({ name: n.name, url: n.url() })) }),
    source: 'test',
    stateDir,
  });

  test('Patroni heals the cluster by itself and the pools follow; acknowledged ids are counted', async () => {
    const pools: ClusterPools = createClusterPools(loaded().config, { memberUrlTemplate: cluster.url(), failoverTimeoutMs: 30_000, topologyTtlMs: 250 });
    let stopWriter: () => Promise<void> = async () => undefined;
    try {
      await pools.write((c) => c.query('create table chaos_patroni (id int primary key)'));
      const writer = startChaosWriter(pools, 'chaos_patroni');
      stopWriter = writer.stop;
      await until('100 acknowledged writes', () => writer.acked.length >= 100, 15_000);
      const killedAt = Date.now();
      await cluster.crash('node1');
      const goneAt = Date.now();
      await until('a write acknowledged after the crash', () => recoverySeconds(writer, killedAt, goneAt) !== undefined, 40_000);
      const rtoS = recoverySeconds(writer, killedAt, goneAt)!;
      await until('a few more writes', () => writer.ackedAt.filter((t) => t > killedAt).length > 20, 10_000);
      await writer.stop();
      const leader = (await cluster.leader())!;
      expect(['node2', 'node3']).toContain(leader);
      expect(pools.lastRoute?.node).toBe(leader);

      const present = await withClient({ url: cluster.url(leader) }, 'ids', async (c) => new Set((await c.query<{ id: number }>('select id from chaos_patroni')).rows.map((r) => r.id)));
      const lost = writer.acked.filter((id) => !present.has(id));
      process.stderr.write(`[chaos patroni ${label}] ${writer.acked.length} acknowledged, ${lost.length} lost, ${writer.errors()} failed attempts; first write after SIGKILL in ${rtoS.toFixed(2)} s (ttl ${cluster.timings.ttl} s); new leader ${leader}\n`);
      if (synchronous) expect(lost).toEqual([]);

      // The remaining replica follows the new leader (same timeline, running).
      const other = leader === 'node2' ? 'node3' : 'node2';
      await until(`${other} following ${leader}`, async () => {
        const members = await cluster.members();
        const l = members.find((m) => m.name === leader);
        const o = members.find((m) => m.name === other);
        return !!l && !!o && isLeaderRole(l.role) && ['running', 'streaming'].includes(o.state) && o.timeline === l.timeline;
      }, 30_000);
      const onOther = await withClient({ url: cluster.url(other) }, 'replica ids', async (c) => Number((await c.query<{ n: string }>('select count(*) as n from chaos_patroni')).rows[0]!.n));
      expect(onOther).toBeGreaterThan(0);
    } finally {
      await stopWriter();
      await pools.close();
    }
  }, 90_000);

  if (!synchronous) {
    test('only the leader\'s postmaster SIGKILLed: Patroni restarts it in place (the leader stays), the pools follow', async () => {
      const leader = (await cluster.leader())!;
      const pools: ClusterPools = createClusterPools(loaded().config, { memberUrlTemplate: cluster.url(), failoverTimeoutMs: 30_000, topologyTtlMs: 250 });
      let stopWriter: () => Promise<void> = async () => undefined;
      try {
        await pools.write((c) => c.query('create table chaos_postmaster (id int primary key)'));
        const writer = startChaosWriter(pools, 'chaos_postmaster');
        stopWriter = writer.stop;
        await until('100 acknowledged writes', () => writer.acked.length >= 100, 15_000);
        const killedAt = Date.now();
        await cluster.kill(leader);
        const goneAt = Date.now();
        await until('a write acknowledged after the kill', () => recoverySeconds(writer, killedAt, goneAt) !== undefined, 40_000);
        await writer.stop();
        const now = (await cluster.leader())!;
        const present = await withClient({ url: cluster.url(now) }, 'ids', async (c) => new Set((await c.query<{ id: number }>('select id from chaos_postmaster')).rows.map((r) => r.id)));
        const lost = writer.acked.filter((id) => !present.has(id));
        process.stderr.write(`[chaos patroni postmaster-only] ${writer.acked.length} acknowledged, ${lost.length} lost; first write after SIGKILL in ${recoverySeconds(writer, killedAt, goneAt)!.toFixed(2)} s; leader ${leader} → ${now}\n`);
        // Crash recovery of the same node keeps every acknowledged (locally flushed) commit.
        if (now === leader) expect(lost).toEqual([]);
      } finally {
        await stopWriter();
        await pools.close();
      }
    }, 90_000);
  }

  if (synchronous) {
    test('cluster-failover switchover through Patroni to the synchronous standby (node1 rejoined first)', async () => {
      await cluster.restart('node1');
      await until('node1 rejoined as a replica', async () => {
        const m = (await cluster.members()).find((x) => x.name === 'node1');
        return !!m && !isLeaderRole(m.role) && ['running', 'streaming'].includes(m.state);
      }, 40_000);
      const unknown = await executeSkill(ClusterFailoverSkill, { action: 'switchover', to: 'nodex' }, { actor: 'cli', yes: true, config: loaded() });
      expect(exitCodeFor(unknown)).toBe(2);
      expect(unknown.error?.message).toMatch(/--to \(to\): must be one of the cluster's nodes: node1, node2, node3/);
      // In synchronous_mode Patroni switches over only to a synchronous standby; without --to the skill picks it.
      let sync: string | undefined;
      await until('a synchronous standby', async () => !!(sync = (await cluster.members()).find((m) => m.role === 'sync_standby')?.name), 30_000);
      const dry = await executeSkill(ClusterFailoverSkill, { action: 'switchover' }, { actor: 'cli', dryRun: true, config: loaded() });
      expect(dry.plan?.[0]?.text).toContain(`candidate: ${sync} is the synchronous standby`);
      expect(JSON.stringify(dry.plan)).toContain('POST /switchover');
      const envelope = await executeSkill(ClusterFailoverSkill, { action: 'switchover' }, { actor: 'cli', yes: true, config: loaded(), timeoutMs: 90_000 });
      expect(envelope.error).toBeUndefined();
      const data = ClusterFailoverOutput.parse(envelope.data);
      expect(data).toMatchObject({ mode: 'patroni', to: sync, fenced: 'patroni', lostBytes: 0 });
      expect(await cluster.leader()).toBe(sync);
    }, 90_000);
  }
});
