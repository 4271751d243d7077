/**
 * `pnpm bench:cli`: cold start of `pgcluster cluster-status --format json` against a bare Node
 * script that connects with `pg` and runs `select 1` on each node (bench/cli/bare-status.js).
 * Both run as fresh processes against the same 3-node cluster, interleaved, in one run.
 * Metric `cold_start_cluster_status`: ratio = bare median ÷ ours median (goal ≥ 0.5).
 * Metric `cold_start_cluster_status_no_window`: the same with `--sample-ms 0`. By default
 * cluster-status samples pg_stat_statements / pg_stat_database twice, 100 ms apart, on the primary
 * (statement rate and time over a real window; the wait overlaps only the primary's last catalog
 * queries), work the bare script does not do; with 0 it reads the averages since the last reset in
 * one sample, the like-for-like comparison with the bare script's one round of queries per node.
 * Metric `cold_start_version`: `pgcluster --version` against `node -e 0` (goal: within 1.5×,
 * ratio ≥ 0.67). The load average at the start and the end goes into the log: figures from a
 * busy machine are not comparable.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startCluster } from '@pgcluster/testing';
import { median, metric, writeReport } from '../lib/report';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const CLI = resolve(__dirname, '../../apps/cli/bin/pgcluster.js');
const BARE = resolve(__dirname, 'bare-status.js');

function timeRun(args: string[], cwd: string, expectStdout: (out: string) => boolean): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0 || !expectStdout(result.stdout)) {
    throw new Error(`${args.join(' ')} failed (exit ${result.status}): ${result.stderr.slice(0, 500)}`);
  }
  return ms;
}

async function main(): Promise<void> {
  process.stderr.write(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  const cluster = await startCluster({ replicas: 2, log: (line) => process.stderr.write(`${line}\n`) });
  const dir = mkdtempSync(join(tmpdir(), 'pgcluster-bench-cli-'));
  try {
    writeFileSync(
      join(dir, 'pgcluster.config.json'),
      JSON.stringify({ name: 'bench', nodes: cluster.nodes.map((n) => ({ name: n.name, url: n.url() })) }),
      { mode: 0o600 },
    );
    const isStatus = (out: string) => JSON.parse(out).skill === 'cluster-status';
    const isBare = (out: string) => JSON.parse(out).length === cluster.nodes.length;
    // Warm the OS file cache once for both, so the first measured run is not an outlier.
    timeRun([CLI, 'cluster-status', '--format', 'json'], dir, isStatus);
    timeRun([BARE], dir, isBare);
    const ours: number[] = [];
    const noWindow: number[] = [];
    const bare: number[] = [];
    const version: number[] = [];
    const node: number[] = [];
    const isVersion = (out: string) => /^\d+\.\d+\.\d+\n$/.test(out);
    for (let i = 0; i < RUNS; i++) {
      ours.push(timeRun([CLI, 'cluster-status', '--format', 'json'], dir, isStatus));
      noWindow.push(timeRun([CLI, 'cluster-status', '--format', 'json', '--sample-ms', '0'], dir, isStatus));
      bare.push(timeRun([BARE], dir, isBare));
      version.push(timeRun([CLI, '--version'], dir, isVersion));
      node.push(timeRun(['-e', '0'], dir, () => true));
    }
    process.stderr.write(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
    writeReport('cli', (await versionOf(cluster.nodes[0]!.url())) ?? 'unknown', [
      metric('cold_start_cluster_status', 'ms', 'lower-is-better', median(ours), { name: 'bare node + pg select 1 per node', value: median(bare) }, 'ratio >= 0.5 (at most 2x the bare script)'),
      metric('cold_start_cluster_status_no_window', 'ms', 'lower-is-better', median(noWindow), { name: 'bare node + pg select 1 per node', value: median(bare) }, 'ratio >= 0.5 (like for like: no 100 ms sample window)'),
      metric('cold_start_version', 'ms', 'lower-is-better', median(version), { name: 'node -e 0', value: median(node) }, 'ratio >= 0.67 (within 1.5x of node -e 0)'),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await cluster.stop({ purge: true });
  }
}

async function versionOf(url: string): Promise<string | undefined> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v;
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
});
