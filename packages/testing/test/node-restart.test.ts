import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lockHolderState, prepareDataDirStart, runningPostmaster, withClient } from '@pgcluster/core';
import { findSecret, plantLockPid, serverLogFiles, startZombie, useCluster, type Zombie } from '@pgcluster/testing';

// Restarts that survive what a slow-reaping PID 1 leaves behind: a real zombie process (exited,
// never waited for by its parent) whose PID sits in postmaster.pid and in the socket lock file.
const cluster = useCluster({ replicas: 1, fast: true });

async function streams(name: string): Promise<boolean> {
  for (let i = 0; i < 300; i += 1) {
    const ok = await withClient({ url: cluster().url('node1', 'postgres') }, 'replication', async (c) =>
      (await c.query("select 1 from pg_stat_replication where application_name = $1 and state = 'streaming'", [name])).rowCount === 1,
    );
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

let zombie: Zombie | undefined;
afterEach(async () => {
  await zombie?.release();
  zombie = undefined;
});

const node2DataDir = () => cluster().nodes.find((n) => n.name === 'node2')!.dataDir!;

test('a zombie is classified as such, an exited PID as gone', async () => {
  zombie = await startZombie();
  expect(lockHolderState(zombie.pid)).toBe('zombie');
  expect(lockHolderState(zombie.holderPid)).toBe('other');
  expect(lockHolderState(spawnSync('true').pid)).toBe('gone');
  expect(lockHolderState(runningPostmaster(cluster().nodes[0]!.dataDir!)!)).toBe('postgres');
});

test('a killed node whose lock files name an unreaped zombie starts again and streams', async () => {
  await cluster().kill('node2');
  zombie = await startZombie();
  const files = plantLockPid(node2DataDir(), zombie.pid);
  expect(files).toHaveLength(2); // postmaster.pid and the socket's .lock
  // PostgreSQL's own check (kill(pid, 0)) takes the zombie for a live postmaster; the restart must not.
  expect(lockHolderState(zombie.pid)).toBe('zombie');
  await cluster().restart('node2');
  expect(await cluster().isRunning('node2')).toBe(true);
  expect(await streams('node2')).toBe(true);
});

test('a lock file naming a live program that is not PostgreSQL is refused with that reason; nothing removed', async () => {
  await cluster().kill('node2');
  zombie = await startZombie();
  const [pidFile] = plantLockPid(node2DataDir(), zombie.holderPid, 'pidfile');
  await expect(cluster().restart('node2')).rejects.toThrow(new RegExp(`postmaster\\.pid names PID ${zombie.holderPid}, a running "sleep" process that is not PostgreSQL`));
  expect(existsSync(pidFile!)).toBe(true);
  // Once that program is gone, the same start goes through.
  await zombie.release();
  await cluster().restart('node2');
  expect(await streams('node2')).toBe(true);
});

test('a lock file held by a live postgres (another server) is refused after the wait, naming it', async () => {
  await cluster().kill('node2');
  const live = runningPostmaster(cluster().nodes[0]!.dataDir!)!;
  const [socketLock] = plantLockPid(node2DataDir(), live, 'socket');
  await expect(prepareDataDirStart(node2DataDir(), { waitMs: 300, label: 'node2' })).rejects.toThrow(
    new RegExp(`node2 cannot start: .*\\.s\\.PGSQL\\.\\d+\\.lock is held by PID ${live}, a live PostgreSQL process \\(the server of .*node1`),
  );
  expect(existsSync(socketLock!)).toBe(true);
  plantLockPid(node2DataDir(), spawnSync('true').pid, 'socket'); // an exited, reaped process: gone
  await cluster().restart('node2');
  expect(await streams('node2')).toBe(true);
});

test('findSecret finds a canary that an ALTER SYSTEM statement left in pg_stat_statements, and the password nowhere', async () => {
  const canary = `canary-${process.pid}-${Date.now()}`;
  await withClient({ url: cluster().url() }, 'a canary', async (c) => {
    await c.query(`alter system set cluster_name = '${canary}'`);
    await c.query('alter system reset cluster_name');
  });
  const sightings = await findSecret(cluster(), canary);
  expect(sightings.map((s) => [s.node, s.where])).toEqual(expect.arrayContaining([['node1', 'pg_stat_statements']]));
  expect(sightings.every((s) => !s.excerpt.includes(canary))).toBe(true);
  expect(await findSecret(cluster(), decodeURIComponent(new URL(cluster().url()).password))).toEqual([]);
});

test("the nodes log jsonlog into <dataDir>/log: logs() renders it as plain lines, findSecret reads it, and the replica's folder holds only its own files", async () => {
  const [primary, replica] = [cluster().nodes[0]!, cluster().nodes[1]!];
  const canary = `canary-log-${process.pid}-${Date.now()}`;
  // A failed statement carrying the canary lands in the primary's log (with its STATEMENT line).
  await withClient({ url: cluster().url() }, 'a failing statement', (c) => c.query(`select '${canary}'::int`)).catch(() => undefined);
  let text = '';
  for (let i = 0; i < 50 && !text.includes(canary); i += 1) {
    text = await cluster().logs('node1', 200);
    if (!text.includes(canary)) await new Promise((r) => setTimeout(r, 100));
  }
  expect(text).toMatch(/\[\d+\] pgcluster@pgcluster ERROR: {2}invalid input syntax for type integer/);
  expect(text).toContain(`STATEMENT:  select '${canary}'::int`);
  const files = serverLogFiles(primary.dataDir, primary.logFile);
  expect(files.some((f) => f.startsWith(`${primary.dataDir}/log/`) && f.endsWith('.json'))).toBe(true);
  const sightings = await findSecret(cluster(), canary);
  expect(sightings.some((s) => s.node === 'node1' && s.where.endsWith('.json'))).toBe(true);
  // pg_basebackup copied the primary's log folder: the fixture emptied it, so node2's log is node2's.
  expect(await cluster().logs('node2', 5000)).not.toContain(canary);
  expect(serverLogFiles(replica.dataDir, replica.logFile).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
});
