import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { createClusterPools, type ClusterPools } from '@pgcluster/pools';
import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { ClusterFailoverOutput, ClusterFailoverSkill } from '../src';
import { recoverySeconds, startChaosWriter, until } from './helpers/chaos-writer';

// Native mode (no Patroni): a primary and two replicas, synchronous (ANY 1). Not `fast`:
// pg_rewind needs full_page_writes, and a crash must not lose what fsync would have kept.
const cluster = useCluster({ replicas: 2, synchronous: true });
const stateDir = mkdtempSync(join(tmpdir(), 'pgc-chaos-native-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const loaded = (): LoadedConfig => ({
  config: ClusterConfig.parse({
    name: 'chaos',
    nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url(), dataDir: n.dataDir })),
  }),
  source: 'test',
  stateDir,
});
const isPrimary = (node: string) =>
  withClient({ url: cluster().url(node), connectTimeoutMs: 1_000 }, 'role', async (c) => (await c.query<{ r: boolean }>('select pg_is_in_recovery() as r')).rows[0]!.r === false);

test('bad input: an unknown --to exits 2 naming the field and the allowed nodes; nothing changes', async () => {
  const envelope = await executeSkill(ClusterFailoverSkill, { action: 'switchover', to: 'node9' }, { actor: 'cli', yes: true, config: loaded() });
  expect(exitCodeFor(envelope)).toBe(2);
  expect(envelope.error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('--to (to): must be one of the cluster\'s nodes: node1, node2, node3') });
  const bad = await executeSkill(ClusterFailoverSkill, { action: 'sideways' }, { actor: 'cli', yes: true, config: loaded() });
  expect(exitCodeFor(bad)).toBe(2);
  expect(await isPrimary('node1')).toBe(true);
});

test('dry run shows the candidate with its reason and changes nothing; without --yes it is refused (exit 3)', async () => {
  const dry = await executeSkill(ClusterFailoverSkill, { action: 'failover' }, { actor: 'cli', dryRun: true, config: loaded() });
  expect(dry.status).toBe('planned');
  expect(dry.plan?.[0]?.text).toMatch(/^candidate: node[23] is the most advanced healthy replica/);
  expect(JSON.stringify(dry.plan)).toContain('pg_promote');
  expect(JSON.stringify(dry.plan)).not.toContain(new URL(cluster().url()).password);
  const refused = await executeSkill(ClusterFailoverSkill, { action: 'failover' }, { actor: 'cli', config: loaded() });
  expect(exitCodeFor(refused)).toBe(3);
  expect(await isPrimary('node1')).toBe(true);
});

test('chaos (native, synchronous): SIGKILL the primary under writes, cluster-failover --rewind --yes; no acknowledged id is lost', async () => {
  const pools: ClusterPools = createClusterPools(loaded().config, { failoverTimeoutMs: 20_000, topologyTtlMs: 200 });
  let stopWriter: () => Promise<void> = async () => undefined;
  try {
    await pools.write((c) => c.query('create table chaos_native (id int primary key)'));
    const writer = startChaosWriter(pools, 'chaos_native');
    stopWriter = writer.stop;
    await until('100 acknowledged writes', () => writer.acked.length >= 100, 15_000);
    const killedAt = Date.now();
    await cluster().kill('node1');
    const goneAt = Date.now();
    const ackedBeforeKill = writer.acked.length;
    const envelope = await executeSkill(ClusterFailoverSkill, { action: 'failover', rewind: true }, { actor: 'cli', yes: true, config: loaded(), timeoutMs: 90_000 });
    expect(envelope.error).toBeUndefined();
    const data = ClusterFailoverOutput.parse(envelope.data);
    expect(data).toMatchObject({ mode: 'native', from: 'node1', fenced: 'unreachable', oldPrimary: 'rejoined' });
    expect(envelope.auditId).toBeDefined();
    expect(envelope.rollback).toMatchObject({ skill: 'cluster-failover', input: { action: 'switchover', to: 'node1' } });
    await until('a write acknowledged after the failover', () => writer.acked.length > ackedBeforeKill + 20, 20_000);
    const rtoS = recoverySeconds(writer, killedAt, goneAt)!;
    await writer.stop();

    const present = await withClient({ url: cluster().url(data.to) }, 'reading ids', async (c) => new Set((await c.query<{ id: number }>('select id from chaos_native')).rows.map((r) => r.id)));
    const lost = writer.acked.filter((id) => !present.has(id));
    process.stderr.write(`[chaos native sync] ${writer.acked.length} acknowledged, ${lost.length} lost, ${writer.errors()} failed attempts, first write after SIGKILL in ${rtoS.toFixed(2)} s; promoted ${data.to}: ${data.reason}\n`);
    expect(lost).toEqual([]);

    // The remaining replica and the rewound old primary stream from the new primary.
    const other = ['node2', 'node3'].find((n) => n !== data.to)!;
    await until(`${other} and node1 streaming from ${data.to}`, async () =>
      withClient({ url: cluster().url(data.to) }, 'replication', async (c) => {
        const { rows } = await c.query<{ application_name: string }>("select application_name from pg_stat_replication where state = 'streaming'");
        const names = rows.map((r) => r.application_name);
        return names.includes(other) && names.includes('node1');
      }), 20_000);
    const onReplica = await withClient({ url: cluster().url(other) }, 'replica ids', async (c) => Number((await c.query<{ n: string }>('select count(*) as n from chaos_native')).rows[0]!.n));
    expect(onReplica).toBeGreaterThan(0);
  } finally {
    await stopWriter();
    await pools.close();
  }
}, 60_000);

test('native switchover back to node1 (planned: node2 stopped, node1 catches up, nothing lost) keeps replication synchronous', async () => {
  await withClient({ url: cluster().url('node2') }, 'marker and synchronous replication', async (c) => {
    await c.query('create table switchover_marker as select 42 as v');
    // The failover above could not carry synchronous_standby_names over (node1 was dead): an operator sets it again.
    await c.query(`alter system set synchronous_standby_names = 'ANY 1 ("node3")'`);
    await c.query('select pg_reload_conf()');
  });
  const envelope = await executeSkill(ClusterFailoverSkill, { action: 'switchover', to: 'node1', rewind: true }, { actor: 'cli', yes: true, config: loaded(), timeoutMs: 90_000 });
  expect(envelope.error).toBeUndefined();
  const data = ClusterFailoverOutput.parse(envelope.data);
  expect(data).toMatchObject({ mode: 'native', from: 'node2', to: 'node1', fenced: 'stopped', lostBytes: 0, oldPrimary: 'rejoined' });
  expect(data.steps.map((s) => s.step)).toEqual(expect.arrayContaining(['fence', 'catch up', 'promote', 'synchronous', 'rewind']));
  expect(await isPrimary('node1')).toBe(true);
  const [marker, sync] = await withClient({ url: cluster().url('node1') }, 'after switchover', async (c) => [
    (await c.query<{ v: number }>('select v from switchover_marker')).rows[0]!.v,
    (await c.query<{ s: string }>("select current_setting('synchronous_standby_names') as s")).rows[0]!.s,
  ]);
  expect(marker).toBe(42);
  expect(sync).toBe('ANY 1 ("node2", "node3")');
  await until('node2 and node3 streaming from node1', async () =>
    withClient({ url: cluster().url('node1') }, 'replication', async (c) =>
      (await c.query("select 1 from pg_stat_replication where state = 'streaming' and application_name in ('node2', 'node3')")).rowCount === 2), 20_000);
}, 60_000);
