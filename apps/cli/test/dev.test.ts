import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, readerConfig, withClient } from '@pgcluster/core';
import { main } from '../src/main';
import { capture, processesUsing } from './helpers/dev-helpers';
import { devDown } from '../src/dev/dev-down';
import { devStatus } from '../src/dev/dev-status';
import { devRejoin } from '../src/dev/dev-rejoin';
import { devUp } from '../src/dev/dev-up';
import { attachCluster } from '@pgcluster/testing';

// A mode-700 temp dir, like a project under /root: as root, the data goes to /var/tmp.
const cwd = mkdtempSync(join(tmpdir(), 'pgc-dev-'));
const configFile = join(cwd, 'pgcluster.config.json');
const stateFile = join(cwd, '.pgcluster', 'dev', 'cluster.json');

/** Runs `pgcluster <args>` in-process from the test's directory, capturing stdout and stderr. */
async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = { cwd: process.cwd(), exitCode: process.exitCode };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  process.chdir(cwd);
  try {
    const code = await main(args);
    const text = (spy: typeof out) => spy.mock.calls.map((c) => String(c[0])).join('');
    return { code, stdout: text(out), stderr: text(err) };
  } finally {
    process.chdir(saved.cwd);
    process.exitCode = saved.exitCode;
    out.mockRestore();
    err.mockRestore();
  }
}

afterAll(async () => {
  // Whatever happened above, leave nothing behind.
  await devDown({ cwd, purge: true }, capture());
  rmSync(cwd, { recursive: true, force: true });
});

describe('pgcluster dev up / status / down', () => {
  test.each(['-1', 'abc', '9', '1.5', ''])('up --replicas %j is refused with exit 2, naming --replicas, creating nothing', async (replicas) => {
    const io = capture();
    expect(await devUp({ cwd, replicas, fast: true }, io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--replicas: must be an integer from 0 to 5/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  test('through the CLI, a bad --replicas exits 2', async () => {
    const { code, stderr } = await runCli(['dev', 'up', '--replicas', 'abc']);
    expect(code).toBe(2);
    expect(stderr).toContain('--replicas');
    expect(readdirSync(cwd)).toEqual([]);
  });

  test('status without a dev cluster exits 2 with a hint to run dev up', async () => {
    const io = capture();
    expect(await devStatus({ cwd, format: 'json' }, io)).toBe(2);
    expect(JSON.parse(io.stdout.join(''))).toMatchObject({ error: { code: 'CONFIG_NOT_FOUND' } });
    expect(io.stderr.join('\n')).toContain('pgcluster dev up');
  });

  let postmasters: number[] = [];
  let dataRoot = '';

  test('up starts a primary and two streaming replicas and writes a valid config of mode 600', async () => {
    const io = capture();
    expect(await devUp({ cwd, fast: true }, io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/node1\s+primary\s+127\.0\.0\.1:\d+/);

    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    const config = ClusterConfig.parse(JSON.parse(readFileSync(configFile, 'utf8')));
    expect(config).toMatchObject({ name: 'dev', databases: { project: 'pgcluster' }, stateDir: '.pgcluster' });
    expect(config.nodes?.map((n) => n.name)).toEqual(['node1', 'node2', 'node3']);
    expect(config.nodes?.every((n) => /^postgresql:\/\/pgcluster:[^@]+@127\.0\.0\.1:\d+\/pgcluster$/.test(n.url))).toBe(true);
    // The least-privilege reader is created and named in the config; read skills connect as it (replicas too).
    expect(config.reader).toMatchObject({ user: 'pgcluster_reader' });
    expect(io.stdout.join('\n')).not.toContain(config.reader!.password);
    const asReader = readerConfig({ config, source: configFile, stateDir: cwd })!;
    const who = await withClient({ url: asReader.config.nodes![2]!.url }, 'the reader on a replica', async (c) => (await c.query("select current_user as u, current_setting('default_transaction_read_only') as ro")).rows[0]);
    expect(who).toEqual({ u: 'pgcluster_reader', ro: 'on' });
    // Every node's data directory is in the config: native failover can stop, rewind and rejoin it.
    expect(config.nodes?.every((n) => n.dataDir !== undefined && existsSync(join(n.dataDir, 'PG_VERSION')))).toBe(true);

    dataRoot = (JSON.parse(readFileSync(stateFile, 'utf8')) as { dataRoot: string }).dataRoot;
    if (process.getuid?.() === 0) {
      expect(dataRoot).toMatch(/^\/var\/tmp\/pgcluster-/);
      expect(io.stderr.join('\n')).toContain('cannot enter');
    }
    postmasters = processesUsing(dataRoot);
    expect(postmasters).toHaveLength(3);
  });

  test('status shows the primary and two replicas streaming', async () => {
    const json = capture();
    expect(await devStatus({ cwd, format: 'json' }, json)).toBe(0);
    const report = JSON.parse(json.stdout.join('')) as { healthy: boolean; nodes: Array<{ role: string; state: string; replicationState: string | null; lagBytes: number | null }> };
    expect(report.healthy).toBe(true);
    expect(report.nodes.map((n) => [n.role, n.state])).toEqual([['primary', 'up'], ['replica', 'up'], ['replica', 'up']]);
    const replicas = report.nodes.filter((n) => n.role === 'replica');
    expect(replicas.map((n) => n.replicationState)).toEqual(['streaming', 'streaming']);
    expect(replicas.every((n) => typeof n.lagBytes === 'number')).toBe(true);

    const human = capture();
    expect(await devStatus({ cwd }, human)).toBe(0);
    expect(human.stdout[0]).toMatch(/^NODE\s+ROLE\s+PORT\s+STATE\s+REPLICATION/);
    expect(human.stdout.filter((l) => /replica\s+\d+\s+up\s+streaming/.test(l))).toHaveLength(2);
  });

  test('up again (through the CLI) says so, starts no second cluster, and shows cluster-status', async () => {
    const before = readFileSync(configFile, 'utf8');
    const { code, stdout } = await runCli(['dev', 'up', '--fast']);
    expect(stdout).toContain('already running');
    // dev up ends with the main job: cluster-status on the cluster it (re)started.
    expect(stdout).toMatch(/cluster-status.*healthy/i);
    expect(code).toBe(0);
    expect(readFileSync(configFile, 'utf8')).toBe(before);
    expect(processesUsing(dataRoot).sort()).toEqual([...postmasters].sort());
  });

  test('down keeps the data and stops every node; up starts the same cluster again', async () => {
    const config = readFileSync(configFile, 'utf8');
    expect(await devDown({ cwd }, capture())).toBe(0);
    expect(processesUsing(dataRoot)).toEqual([]);
    const down = capture();
    expect(await devStatus({ cwd, format: 'json' }, down)).toBe(1);
    expect((JSON.parse(down.stdout.join('')) as { nodes: Array<{ state: string }> }).nodes.map((n) => n.state)).toEqual(['down', 'down', 'down']);

    const io = capture();
    expect(await devUp({ cwd, fast: true }, io)).toBe(0);
    expect(io.stderr.join('\n')).toContain('starting again');
    expect(readFileSync(configFile, 'utf8')).toBe(config);
    expect(await devStatus({ cwd }, capture())).toBe(0);
  });

  /** Each node's live role from `dev status --format json`, and whether all are up. */
  async function roles(): Promise<{ code: number; roles: Record<string, string>; down: string[]; hints: string }> {
    const io = capture();
    const code = await devStatus({ cwd, format: 'json' }, io);
    const report = JSON.parse(io.stdout.join('')) as { nodes: Array<{ name: string; role: string; state: string }> };
    return { code, roles: Object.fromEntries(report.nodes.map((n) => [n.name, n.role])), down: report.nodes.filter((n) => n.state === 'down').map((n) => n.name), hints: io.stderr.join('\n') };
  }

  test('the documented switchover ends with one primary and every node streaming; dev status reads the roles live', async () => {
    const run = await runCli(['cluster-failover', '--action', 'switchover', '--to', 'node2', '--yes', '--format', 'json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, data: { to: 'node2', oldPrimary: 'rejoined' } });
    expect(await roles()).toMatchObject({ code: 0, roles: { node1: 'replica', node2: 'primary', node3: 'replica' }, down: [] });
  });

  test('after a failover, dev up brings the stopped old primary back as a replica, and dev rejoin does it on request', async () => {
    await attachCluster(join(cwd, '.pgcluster', 'dev')).kill('node2');
    expect((await runCli(['cluster-failover', '--action', 'failover', '--yes', '--format', 'json'])).code).toBe(0);
    const after = await roles();
    expect(after).toMatchObject({ code: 1, down: ['node2'] });
    const leader = Object.keys(after.roles).find((n) => n !== 'node2' && after.roles[n] === 'primary')!;
    expect(after.hints).toContain(`pgcluster dev rejoin node2`);
    // dev up never starts node2 as a second primary.
    const up = capture();
    const upCode = await devUp({ cwd, fast: true }, up);
    expect(up.stderr.join('\n')).toContain('node2: re-cloning from');
    expect(upCode).toBe(0);
    expect(await roles()).toMatchObject({ code: 0, roles: { node2: 'replica', [leader]: 'primary' }, down: [] });

    // Again, and this time `dev rejoin` brings it back.
    await attachCluster(join(cwd, '.pgcluster', 'dev')).kill(leader);
    expect((await runCli(['cluster-failover', '--action', 'failover', '--yes', '--format', 'json'])).code).toBe(0);
    const io = capture();
    expect(await devRejoin({ cwd, node: leader }, io)).toBe(0);
    const final = await roles();
    expect(final.code).toBe(0);
    expect(Object.values(final.roles).filter((r) => r === 'primary')).toHaveLength(1);
    expect(final.roles[leader]).toBe('replica');
  });

  test('dev rejoin of an unknown node exits 2 naming the allowed nodes', async () => {
    const io = capture();
    expect(await devRejoin({ cwd, node: 'node9' }, io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('node: must be one of node1, node2, node3');
  });

  test('down --purge leaves no postgres process of this directory and no data', async () => {
    const io = capture();
    expect(await devDown({ cwd, purge: true }, io)).toBe(0);
    expect(processesUsing(dataRoot)).toEqual([]);
    expect(existsSync(dataRoot)).toBe(false);
    expect(existsSync(configFile)).toBe(false);
    // The audit log is history, not data: it stays (the CLI run above audited cluster-status).
    expect(existsSync(join(cwd, '.pgcluster', 'dev'))).toBe(false);
    expect(readdirSync(cwd).filter((e) => e !== '.pgcluster')).toEqual([]);
    expect(readdirSync(join(cwd, '.pgcluster'))).toEqual(['audit']);

    const status = capture();
    expect(await devStatus({ cwd }, status)).toBe(2);
  });
});
