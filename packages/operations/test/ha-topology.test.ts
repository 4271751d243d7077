import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, createTopologyProvider, readPgbouncer, withClient, type ClusterConfigInput, type LoadedConfig } from '@pgcluster/core';
import { executeSkill } from '@pgcluster/skill-kit';
import { isHaClusterHandle, isLeaderRole, useCluster, type HaClusterHandle } from '@pgcluster/testing';
import { ClusterFailoverOutput, ClusterFailoverSkill, ClusterScaleOutput, ClusterScaleSkill, ClusterStatusReport, ClusterStatusSkill } from '../src';
import { until } from './helpers/chaos-writer';

// One HA cluster (etcd + 3 Patroni + PgBouncer). The tests run in order and change it for real:
// a Patroni-only config, pool sizes across two switchovers (Patroni's role-change callback
// reloads PgBouncer each time), then the configured member's whole node is lost.
const handle = useCluster({ ha: true, replicas: 2, fast: true });
const cluster = (): HaClusterHandle => {
  const h = handle();
  if (!isHaClusterHandle(h)) throw new Error('expected an HA cluster');
  return h;
};
const stateDir = mkdtempSync(join(tmpdir(), 'pgc-ha-topology-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

/** No static nodes: members, roles and addresses come from Patroni; credentials from memberUrl. */
const patroniOnly = (extra: Partial<ClusterConfigInput> = {}): LoadedConfig => ({
  config: ClusterConfig.parse({ name: 'ha-only', patroni: { url: cluster().patroniUrl('node1'), memberUrl: cluster().url() }, ...extra }),
  source: 'test',
  stateDir,
});
const bouncerSize = async () => (await readPgbouncer(cluster().pgbouncerAdminUrl())).sizes.defaultPoolSize;
const port = (node: string) => cluster().nodes.find((n) => n.name === node)!.port;

/** A switchover through the skill, then until PgBouncer (reloaded by the role-change callback) serves the new leader. */
async function switchover(config: LoadedConfig, to: string): Promise<ClusterFailoverOutput> {
  const envelope = await executeSkill(ClusterFailoverSkill, { action: 'switchover', to }, { actor: 'cli', yes: true, config, timeoutMs: 120_000 });
  expect(envelope.error).toBeUndefined();
  await until(
    `PgBouncer serves ${to}`,
    async () => (await withClient({ url: cluster().pgbouncerUrl() }, 'through PgBouncer', (c) => c.query<{ p: number }>('select inet_server_port() as p')).catch(() => undefined))?.rows[0]?.p === port(to),
    60_000,
  );
  return ClusterFailoverOutput.parse(envelope.data);
}

test('cluster-status on a Patroni-only config: every member is a node, with its live role', async () => {
  const envelope = await executeSkill(ClusterStatusSkill, { sampleMs: 0 }, { actor: 'cli', config: patroniOnly() });
  expect(envelope.error).toBeUndefined();
  const report = ClusterStatusReport.parse(envelope.data);
  expect(report.status).toBe('healthy');
  expect(report.cluster).toMatchObject({ nodes: 3, up: 3, primary: 'node1' });
  expect(report.cluster.replicas.sort()).toEqual(['node2', 'node3']);
  expect(report.components.database.map((n) => [n.name, n.status, n.role, n.address.split('/')[0]])).toEqual(
    ['node1', 'node2', 'node3'].map((n, i) => [n, 'up', i === 0 ? 'primary' : 'replica', `127.0.0.1:${port(n)}`]),
  );
  expect(report.components.database.filter((n) => n.role === 'replica').every((n) => n.replication?.streaming)).toBe(true);
  expect(report.components.patroni).toMatchObject({ reachable: true, leader: 'node1', paused: false });
  expect(JSON.stringify(envelope)).not.toContain(new URL(cluster().url()).password);
  const dry = await executeSkill(ClusterStatusSkill, {}, { actor: 'cli', dryRun: true, config: patroniOnly() });
  expect(dry.plan?.map((s) => s.target)).toEqual(expect.arrayContaining([`Patroni ${new URL(cluster().patroniUrl('node1')).host}`, 'each member Patroni lists']));
}, 60_000);

test('a Patroni switchover reports the real LSN and the old leader rejoining, never "down"', async () => {
  const dry = await executeSkill(ClusterFailoverSkill, { action: 'switchover', to: 'node2' }, { actor: 'cli', dryRun: true, config: patroniOnly() });
  expect(dry.plan?.[0]?.text).toMatch(/^candidate: .*WAL up to [0-9A-F]+\/[0-9A-F]+/);
  expect(dry.plan?.[0]?.text).not.toContain('0/0');
  const data = await switchover(patroniOnly(), 'node2');
  expect(data).toMatchObject({ mode: 'patroni', from: 'node1', to: 'node2', fenced: 'patroni', lostBytes: 0 });
  expect(data.reason).toMatch(/WAL up to [0-9A-F]+\/[0-9A-F]+/);
  expect(['replica', 'rejoining']).toContain(data.oldPrimary);
  expect(data.steps.find((s) => s.step === 'old primary')?.detail).toMatch(/^node1 is (a running replica of node2 again|.*: Patroni rejoins it as a replica of node2 by itself)/);
  await until('node1 runs as a replica', async () => {
    const m = (await cluster().members()).find((x) => x.name === 'node1');
    return !!m && !isLeaderRole(m.role) && ['running', 'streaming'].includes(m.state);
  }, 60_000);
}, 180_000);

test('cluster-scale without pgbouncer.configFile says the next failover resets it, and it does', async () => {
  const envelope = await executeSkill(ClusterScaleSkill, { size: 20 }, { actor: 'cli', config: patroniOnly({ pgbouncer: { adminUrl: cluster().pgbouncerAdminUrl() } }) });
  expect(envelope.error).toBeUndefined();
  const data = ClusterScaleOutput.parse(envelope.data);
  expect(data.pgbouncer).toMatchObject({ after: { defaultPoolSize: 20 }, persistent: false });
  expect(data.notes.join('\n')).toMatch(/the next failover does/);
  expect(await bouncerSize()).toBe(20);
  await switchover(patroniOnly(), 'node1');
  expect(await bouncerSize()).toBe(10);
}, 180_000);

test('cluster-scale --size 30 with pgbouncer.configFile holds across a switchover (pgbouncer.ini written)', async () => {
  const config = patroniOnly({ pgbouncer: { adminUrl: cluster().pgbouncerAdminUrl(), configFile: cluster().pgbouncerConfigFile() } });
  const envelope = await executeSkill(ClusterScaleSkill, { size: 30 }, { actor: 'cli', config });
  expect(envelope.error).toBeUndefined();
  expect(ClusterScaleOutput.parse(envelope.data).pgbouncer).toMatchObject({ after: { defaultPoolSize: 30 }, persistent: true });
  expect(readFileSync(cluster().pgbouncerConfigFile(), 'utf8')).toMatch(/^default_pool_size = 30$/m);
  expect(await bouncerSize()).toBe(30);
  await switchover(config, 'node2');
  expect(await bouncerSize()).toBe(30);
  // The rollback writes the file back too.
  const undo = await executeSkill(ClusterScaleSkill, envelope.rollback!.input, { actor: 'cli', config });
  expect(undo.error).toBeUndefined();
  expect(readFileSync(cluster().pgbouncerConfigFile(), 'utf8')).toMatch(/^default_pool_size = 10$/m);
}, 240_000);

test("the Patroni topology survives the death of the configured member's Patroni", async () => {
  const config = patroniOnly().config;
  const provider = createTopologyProvider(config);
  expect((await provider.resolve()).source).toBe(new URL(cluster().patroniUrl('node1')).host);
  await cluster().crash('node1'); // Patroni and postmaster of the only configured API's node
  // The same provider asks the members' APIs it learned; a new one needs a second URL configured.
  const after = await provider.resolve();
  expect(after.source).not.toBe(new URL(cluster().patroniUrl('node1')).host);
  expect(after.primary?.name).toBe('node2');
  const several = ClusterConfig.parse({ name: 'ha', patroni: { url: [cluster().patroniUrl('node1'), cluster().patroniUrl('node3')], memberUrl: cluster().url() } });
  const envelope = await executeSkill(ClusterStatusSkill, { sampleMs: 0, connectTimeoutMs: 1_000 }, { actor: 'cli', config: { config: several, source: 'test', stateDir } });
  const report = ClusterStatusReport.parse(envelope.data);
  expect(report.components.patroni).toMatchObject({ reachable: true, leader: 'node2' });
  expect(report.cluster.primary).toBe('node2');
  expect(report.components.database.find((n) => n.name === 'node2')).toMatchObject({ status: 'up', role: 'primary' });
}, 120_000);
