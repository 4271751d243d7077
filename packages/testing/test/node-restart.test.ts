import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { lockHolderState, prepareDataDirStart, runningPostmaster, withClient } from '@pgcluster/core';
import { findSecret, useCluster } from '@pgcluster/testing';

// Restarts that survive what a slow-reaping PID 1 leaves behind: a real zombie process (exited,
// never waited for by its parent) whose PID sits in postmaster.pid and in the socket lock file.
const cluster = useCluster({ replicas: 1, fast: true });

/**
 * A live `sleep` whose own child has exited and is never reaped: the child stays a zombie while
 * `holder` lives. The child exits only once its parent shell has become `sleep` (exec), so the
 * shell can never reap it first.
 */
async function makeZombie(): Promise<{ zombie: number; holder: ChildProcess }> {
  const script = 'p=$$; (while [ "$(cat /proc/$p/comm)" != sleep ]; do sleep 0.01; done) & echo $!; exec sleep 600';
  const holder = spawn('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const line = await new Promise<string>((resolve) => createInterface({ input: holder.stdout! }).once('line', resolve));
  const zombie = Number(line);
  for (let i = 0; i < 400 && lockHolderState(zombie) !== 'zombie'; i += 1) await new Promise((r) => setTimeout(r, 25));
  if (lockHolderState(zombie) !== 'zombie') throw new Error(`PID ${zombie} did not become a zombie`);
  return { zombie, holder };
}

/** The lock files a killed postmaster leaves: postmaster.pid and its socket's `.lock`. */
function lockFiles(dataDir: string): string[] {
  const lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  return [join(dataDir, 'postmaster.pid'), join(lines[4]!.trim(), `.s.PGSQL.${lines[3]!.trim()}.lock`)];
}

function writePid(file: string, pid: number): void {
  const lines = readFileSync(file, 'utf8').split('\n');
  writeFileSync(file, [String(pid), ...lines.slice(1)].join('\n'));
}

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

let holder: ChildProcess | undefined;
afterEach(() => {
  holder?.kill('SIGKILL');
  holder = undefined;
});

test('a zombie is classified as such, an exited PID as gone', async () => {
  const made = await makeZombie();
  holder = made.holder;
  expect(lockHolderState(made.zombie)).toBe('zombie');
  expect(lockHolderState(made.holder.pid!)).toBe('other');
  expect(lockHolderState(spawnSync('true').pid)).toBe('gone');
  expect(lockHolderState(runningPostmaster(cluster().nodes[0]!.dataDir!)!)).toBe('postgres');
});

test('a killed node whose lock files name an unreaped zombie starts again and streams', async () => {
  const node2 = cluster().nodes.find((n) => n.name === 'node2')!;
  await cluster().kill('node2');
  const files = lockFiles(node2.dataDir!);
  expect(files.every((f) => existsSync(f))).toBe(true);
  const made = await makeZombie();
  holder = made.holder;
  for (const f of files) writePid(f, made.zombie);
  // PostgreSQL's own check (kill(pid, 0)) takes the zombie for a live postmaster; the restart must not.
  expect(lockHolderState(made.zombie)).toBe('zombie');
  await cluster().restart('node2');
  expect(await cluster().isRunning('node2')).toBe(true);
  expect(await streams('node2')).toBe(true);
});

test('a lock file naming a live program that is not PostgreSQL is refused with that reason; nothing removed', async () => {
  const node2 = cluster().nodes.find((n) => n.name === 'node2')!;
  await cluster().kill('node2');
  const files = lockFiles(node2.dataDir!);
  const made = await makeZombie();
  holder = made.holder;
  writePid(files[0]!, made.holder.pid!);
  await expect(cluster().restart('node2')).rejects.toThrow(new RegExp(`postmaster\\.pid names PID ${made.holder.pid}, a running "sleep" process that is not PostgreSQL`));
  expect(existsSync(files[0]!)).toBe(true);
  // Once that program is gone, the same start goes through.
  made.holder.kill('SIGKILL');
  await new Promise((r) => made.holder.once('exit', r));
  await cluster().restart('node2');
  expect(await streams('node2')).toBe(true);
});

test('a lock file held by a live postgres (another server) is refused after the wait, naming it', async () => {
  const [node1, node2] = [cluster().nodes[0]!, cluster().nodes.find((n) => n.name === 'node2')!];
  await cluster().kill('node2');
  const files = lockFiles(node2.dataDir!);
  const live = runningPostmaster(node1.dataDir!)!;
  writePid(files[1]!, live);
  await expect(prepareDataDirStart(node2.dataDir!, { waitMs: 300, label: 'node2' })).rejects.toThrow(
    new RegExp(`node2 cannot start: .*\\.s\\.PGSQL\\.\\d+\\.lock is held by PID ${live}, a live PostgreSQL process \\(the server of .*node1`),
  );
  expect(files.every((f) => existsSync(f))).toBe(true);
  writePid(files[1]!, spawnSync('true').pid); // an exited, reaped process: gone
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
