import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, createStaticTopology, withClient, type LoadedConfig } from '@pgcluster/core';
import { createClusterPools, type ClusterPools } from '@pgcluster/pools';
import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit';
import { findSecret, plantLockPid, startZombie, useCluster, type Zombie } from '@pgcluster/testing';
import { ClusterFailoverOutput, ClusterFailoverSkill, ClusterStatusReport, ClusterStatusSkill } from '../src';
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
/** The node the chaos test's failover promoted (the most advanced replica: node2 or node3). */
let promoted = 'node2';
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

test('chaos (native, synchronous): SIGKILL the primary under writes (its lock files naming an unreaped zombie), cluster-failover --rewind --yes; no acknowledged id is lost', async () => {
  const pools: ClusterPools = createClusterPools(loaded().config, { failoverTimeoutMs: 20_000, topologyTtlMs: 200 });
  let stopWriter: () => Promise<void> = async () => undefined;
  let zombie: Zombie | undefined;
  try {
    await pools.write((c) => c.query('create table chaos_native (id int primary key)'));
    const writer = startChaosWriter(pools, 'chaos_native');
    stopWriter = writer.stop;
    await until('100 acknowledged writes', () => writer.acked.length >= 100, 15_000);
    const killedAt = Date.now();
    await cluster().kill('node1');
    const goneAt = Date.now();
    // As on a host whose PID 1 reaps late: the killed postmaster's lock files name a process that is still a zombie.
    zombie = await startZombie();
    expect(plantLockPid(cluster().nodes.find((n) => n.name === 'node1')!.dataDir!, zombie.pid)).toHaveLength(2);
    const ackedBeforeKill = writer.acked.length;
    const envelope = await executeSkill(ClusterFailoverSkill, { action: 'failover', rewind: true }, { actor: 'cli', yes: true, config: loaded(), timeoutMs: 90_000 });
    expect(envelope.error).toBeUndefined();
    const data = ClusterFailoverOutput.parse(envelope.data);
    expect(data).toMatchObject({ mode: 'native', from: 'node1', fenced: 'unreachable', oldPrimary: 'rejoined' });
    // The fixture learns the new roles from the data directories.
    expect(cluster().primary.name).toBe(data.to);
    promoted = data.to;
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
    await zombie?.release();
    await stopWriter();
    await pools.close();
  }
}, 60_000);

test('native switchover back to node1 (planned: the promoted node stopped, node1 catches up, nothing lost) keeps replication synchronous', async () => {
  const other = ['node2', 'node3'].find((n) => n !== promoted)!;
  await withClient({ url: cluster().url(promoted) }, 'marker and synchronous replication', async (c) => {
    await c.query('create table switchover_marker as select 42 as v');
    // The failover above could not carry synchronous_standby_names over (node1 was dead): an operator sets it again.
    await c.query(`alter system set synchronous_standby_names = 'ANY 1 ("${other}")'`);
    await c.query('select pg_reload_conf()');
  });
  const envelope = await executeSkill(ClusterFailoverSkill, { action: 'switchover', to: 'node1', rewind: true }, { actor: 'cli', yes: true, config: loaded(), timeoutMs: 90_000 });
  expect(envelope.error).toBeUndefined();
  const data = ClusterFailoverOutput.parse(envelope.data);
  expect(data).toMatchObject({ mode: 'native', from: promoted, to: 'node1', fenced: 'stopped', lostBytes: 0, oldPrimary: 'rejoined' });
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

/** Every replica streams from `primary`, and cluster-status calls the cluster healthy (one primary, no split brain). */
async function expectHealthy(primary: string): Promise<void> {
  const others = cluster().nodes.map((n) => n.name).filter((n) => n !== primary);
  await until(`${others.join(', ')} streaming from ${primary}`, async () =>
    withClient({ url: cluster().url(primary) }, 'replication', async (c) =>
      (await c.query("select 1 from pg_stat_replication where state = 'streaming' and application_name = any($1)", [others])).rowCount === others.length), 30_000);
  const status = await executeSkill(ClusterStatusSkill, { sampleMs: 0 }, { actor: 'cli', config: loaded() });
  const report = ClusterStatusReport.parse(status.data);
  expect(report.alerts.filter((a) => /split brain|primary|down/i.test(a))).toEqual([]);
  expect(report.status).toBe('healthy');
}

test('planned switchovers without --rewind, node1 → node2 → node1 twice in a row: each ends with the old primary streaming from the new one', async () => {
  await expectHealthy('node1');
  for (const [from, to] of [['node1', 'node2'], ['node2', 'node1'], ['node1', 'node2'], ['node2', 'node1']] as const) {
    const envelope = await executeSkill(ClusterFailoverSkill, { action: 'switchover', to }, { actor: 'cli', yes: true, config: loaded(), timeoutMs: 90_000 });
    expect(envelope.error).toBeUndefined();
    const data = ClusterFailoverOutput.parse(envelope.data);
    expect(data).toMatchObject({ from, to, fenced: 'stopped', lostBytes: 0, oldPrimary: 'rejoined' });
    expect(data.steps.filter((s) => !s.ok)).toEqual([]);
    expect(data.steps.find((s) => s.step === 'rejoin')?.detail).toMatch(/no pg_rewind needed.*it streams/);
    expect(await isPrimary(to)).toBe(true);
    expect(await isPrimary(from)).toBe(false);
    await expectHealthy(to);
  }
}, 240_000);

test('a switchover whose old primary has no dataDir in the config fences it read-only and names what is left to do; a rejoin then ends healthy', async () => {
  const remote: LoadedConfig = { ...loaded(), config: ClusterConfig.parse({ name: 'chaos', nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url() })) }) };
  const envelope = await executeSkill(ClusterFailoverSkill, { action: 'switchover', to: 'node2' }, { actor: 'cli', yes: true, config: remote, timeoutMs: 90_000 });
  const data = ClusterFailoverOutput.parse(envelope.data);
  expect(data).toMatchObject({ from: 'node1', to: 'node2', fenced: 'read-only', oldPrimary: 'read-only', lostBytes: 0 });
  expect(envelope.status).toBe('degraded');
  expect(data.steps.find((s) => s.step === 'rejoin')).toMatchObject({ ok: false, detail: expect.stringContaining('Left to do on its machine: pg_ctl stop') });
  expect(envelope.alerts).toEqual(expect.arrayContaining([expect.stringContaining('node1 still runs as a fenced (read-only) primary')]));
  // The fence holds: node1 takes no write.
  await expect(withClient({ url: cluster().url('node1') }, 'a write on the fenced node', (c) => c.query('create table must_fail (i int)'))).rejects.toThrow(/read-only/);
  // cluster-status sees a fenced old primary and what to do with it, not a split brain; writes go to node2.
  const fencedStatus = ClusterStatusReport.parse((await executeSkill(ClusterStatusSkill, { sampleMs: 0 }, { actor: 'cli', config: remote })).data);
  expect(fencedStatus.status).toBe('degraded');
  expect(fencedStatus.alerts.join('\n')).not.toMatch(/split brain/);
  expect(fencedStatus.alerts).toEqual(expect.arrayContaining([expect.stringContaining('node1 (127.0.0.1:')]));
  expect(fencedStatus.recommendations.map((r) => r.why).join('\n')).toMatch(/Rejoin node1 as a replica of node2/);
  const topology = await createStaticTopology({ nodes: remote.config.nodes! }).resolve();
  expect(topology.primary?.name).toBe('node2');
  expect(topology.members.find((m) => m.name === 'node1')).toMatchObject({ role: 'unreachable', state: 'fenced' });
  // What was left to do, done on "its machine": stop, pg_rewind, standby.signal, start.
  await cluster().rejoin!('node1');
  await expectHealthy('node2');
  expect(await withClient({ url: cluster().url('node1') }, 'fence gone', async (c) => (await c.query<{ v: string }>("select current_setting('default_transaction_read_only') as v")).rows[0]!.v)).toBe('off');
  const back = await executeSkill(ClusterFailoverSkill, { action: 'switchover', to: 'node1' }, { actor: 'cli', yes: true, config: loaded(), timeoutMs: 90_000 });
  expect(back.error).toBeUndefined();
  await expectHealthy('node1');
  await withClient({ url: cluster().url('node1') }, 'a write after switching back', (c) => c.query('create table writable_again (i int)'));
}, 180_000);

test('after the failover, rewind and switchovers above, no server log, postgresql*.conf or pg_stat_statements holds the password', async () => {
  const password = decodeURIComponent(new URL(cluster().url()).password);
  expect(await findSecret(cluster(), password)).toEqual([]);
});
