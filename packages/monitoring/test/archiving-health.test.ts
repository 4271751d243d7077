import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, withClient } from '@pgcluster/core';
import { useCluster } from '@pgcluster/testing';
import { checkHealth, HealthReport } from '../src';

// archiving_failing on every node whose archiver runs: with archive_mode = always a replica
// archives the WAL it receives, and its failures show only in its own pg_stat_archiver. The
// replica's archive folder is one the postgres OS user cannot write, for real.
const cluster = useCluster({ replicas: 1, fast: true });
const asRoot = process.getuid?.() === 0;
const good = mkdtempSync(join(tmpdir(), 'pgcluster-arch-ok-'));
const bad = mkdtempSync(join(tmpdir(), 'pgcluster-arch-denied-'));

const configOf = (): ClusterConfig => ClusterConfig.parse({ name: 'itest', nodes: cluster().nodes.map((n) => ({ name: n.name, url: n.url() })) });

async function sql<T extends Record<string, unknown>>(node: string, text: string): Promise<T[]> {
  return withClient({ url: cluster().url(node) }, `test query on ${node}`, async (c) => (await c.query<T>(text)).rows);
}

async function eventually<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 90_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v).slice(0, 2000)}`);
    await sql('node1', 'create table if not exists churn(x int); insert into churn values (1); select pg_switch_wal()');
    await new Promise((r) => setTimeout(r, 500));
  }
}

type Archiver = { failed: number; archived: string | null; failing: boolean };
const archiver = (node: string) =>
  sql<Archiver>(node, 'select failed_count::int as failed, last_archived_wal as archived, coalesce(last_failed_time > coalesce(last_archived_time, \'-infinity\'), false) as failing from pg_stat_archiver').then((r) => r[0]!);

describe('archiving_failing looks at every archiving node', () => {
  beforeAll(async () => {
    // The primary's archive is writable by postgres; the replica's folder is not (owner root, mode 700).
    if (asRoot) execFileSync('chown', ['postgres:postgres', good]);
    else execFileSync('chmod', ['0500', bad]);
    for (const [node, dir] of [['node1', good], ['node2', bad]] as const) {
      await sql(node, "alter system set archive_mode = 'always'");
      await sql(node, `alter system set archive_command = 'test ! -f ${dir}/%f && cp %p ${dir}/%f'`);
    }
    await cluster().restart('node2');
    await cluster().restart('node1');
  }, 120_000);
  afterAll(() => {
    rmSync(good, { recursive: true, force: true });
    rmSync(bad, { recursive: true, force: true });
  });

  test('a replica whose archive folder is not writable is found; the primary that archives fine is not', async () => {
    await eventually('the primary to archive', () => archiver('node1'), (a) => a.archived !== null && !a.failing);
    await eventually('the replica to fail archiving', () => archiver('node2'), (a) => a.failing);
    const report = await checkHealth(configOf(), { checks: ['archiving_failing'] });
    expect(HealthReport.parse(report)).toEqual(report);
    expect(report.checks).toEqual([expect.objectContaining({ check: 'archiving_failing', status: 'warning', nodes: ['node1', 'node2'] })]);
    expect(report.findings.map((f) => [f.check, f.node, f.object])).toEqual([['archiving_failing', 'node2', 'archive_command']]);
    expect(report.findings[0]!.value).toBeGreaterThanOrEqual(1);
    expect(report.findings[0]!.message).toContain('replica node2 (archive_mode always)');
  }, 120_000);

  test('once the replica can write its archive again, nothing is found', async () => {
    if (asRoot) execFileSync('chown', ['postgres:postgres', bad]);
    else execFileSync('chmod', ['0700', bad]);
    await eventually('the replica to archive again', () => archiver('node2'), (a) => a.archived !== null && !a.failing);
    const report = await checkHealth(configOf(), { checks: ['archiving_failing'] });
    expect(report.findings).toEqual([]);
    expect(report.checks).toEqual([expect.objectContaining({ check: 'archiving_failing', status: 'ok', nodes: ['node1', 'node2'] })]);
  }, 120_000);
});
