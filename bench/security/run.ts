/**
 * `pnpm bench:security`: `pgcluster security-rotate` (alternating users) under load. pgbench
 * (-c 8 -j 2, tpcb-like) runs against the primary with the rotated role for 20 s without a
 * rotation, then 20 s with one started after 5 s, then 20 s without again; a client that opens a
 * new connection with whatever the config file holds runs all along. Reports failed transactions
 * and failed reconnects during the rotation (goal 0), TPS during ÷ TPS without (goal ≥ 0.95) and
 * how long the rotation took (the CLI as a fresh process, as Claude Code runs it).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startCluster } from '@pgcluster/testing';
import pg from 'pg';
import { metric, writeReport } from '../lib/report';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 20);
const CLI = resolve(__dirname, '../../apps/cli/bin/pgcluster.js');
const PGBENCH = join(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim(), 'pgbench');

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('close', (code) => done({ code, out }));
  });
}

/** pgbench against a URL; the password through PGPASSWORD only. */
async function pgbench(url: string, args: string[]): Promise<{ tps: number; processed: number; failed: number }> {
  const u = new URL(url);
  const r = await run(PGBENCH, ['-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), ...args, u.pathname.slice(1)], { ...process.env, PGPASSWORD: decodeURIComponent(u.password) });
  if (r.code !== 0) throw new Error(`pgbench failed (exit ${r.code}): ${r.out.slice(-500)}`);
  const num = (re: RegExp) => Number(re.exec(r.out)?.[1] ?? NaN);
  return { tps: num(/tps = ([\d.]+)/), processed: num(/number of transactions actually processed: (\d+)/), failed: num(/number of failed transactions: (\d+)/) };
}

/** Opens a new connection every 50 ms with the config file's current URL; counts logins and failures. */
function reconnectingClient(configFile: string): { stop: () => Promise<{ ok: number; failed: number }> } {
  let stopped = false;
  const counts = { ok: 0, failed: 0 };
  const loop = (async () => {
    while (!stopped) {
      const url = (JSON.parse(readFileSync(configFile, 'utf8')) as { nodes: Array<{ url: string }> }).nodes[0]!.url;
      const client = new pg.Client({ connectionString: url });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('select 1');
        counts.ok += 1;
      } catch {
        counts.failed += 1;
      } finally {
        await client.end().catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return counts;
    },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pgcluster-bench-security-'));
  const cluster = await startCluster({ replicas: 1, fast: true, log: (l) => process.stderr.write(`${l}\n`) });
  try {
    const configFile = join(dir, 'pgcluster.config.json');
    writeFileSync(configFile, JSON.stringify({ name: 'bench', nodes: cluster.nodes.map((n) => ({ name: n.name, url: n.url(), dataDir: n.dataDir })) }, null, 2), { mode: 0o600 });
    const url = cluster.url();
    await pgbench(url, ['-i', '-s', '10', '-q']);
    const load = ['-c', '8', '-j', '2', '-T', String(SECONDS)];

    const before = await pgbench(url, load);
    const reconnects = reconnectingClient(configFile);
    const during = pgbench(url, load);
    await new Promise((r) => setTimeout(r, 5_000));
    const started = performance.now();
    const rotation = await run(process.execPath, [CLI, 'security-rotate', '--role', cluster.user, '--grace-seconds', String(SECONDS * 3), '--yes', '--format', 'json', '--config', configFile]);
    const rotationMs = performance.now() - started;
    const envelope = JSON.parse(rotation.out.slice(rotation.out.indexOf('{'))) as { ok: boolean; data?: { newLogin: string }; error?: unknown };
    if (!envelope.ok) throw new Error(`security-rotate failed: ${JSON.stringify(envelope.error)}`);
    const loaded = await during;
    const counted = await reconnects.stop();
    const after = await pgbench(url, load);
    const without = (before.tps + after.tps) / 2;
    process.stderr.write(`rotated to ${envelope.data?.newLogin}; pgbench without: ${before.tps.toFixed(0)} / ${after.tps.toFixed(0)} tps, during: ${loaded.tps.toFixed(0)} tps, ${loaded.failed} failed of ${loaded.processed}; reconnects ${counted.ok} ok, ${counted.failed} failed\n`);

    const client = new pg.Client({ connectionString: (JSON.parse(readFileSync(configFile, 'utf8')) as { nodes: Array<{ url: string }> }).nodes[0]!.url });
    await client.connect();
    const version = `PostgreSQL ${(await client.query<{ v: string }>('show server_version')).rows[0]!.v}`;
    await client.end();
    writeReport('security', version, [
      metric('rotation_failed_transactions', 'transactions', 'lower-is-better', loaded.failed, null, '0'),
      metric('rotation_failed_reconnects', 'connections', 'lower-is-better', counted.failed, null, '0'),
      metric('rotation_tps', 'tps', 'higher-is-better', loaded.tps, { name: 'pgbench without rotation (mean of before and after)', value: without }, 'ratio >= 0.95'),
      metric('rotation_time', 'ms', 'lower-is-better', rotationMs, null, 'informational (CLI process, 1 replica re-pointed)'),
    ]);
  } finally {
    await cluster.stop({ purge: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
