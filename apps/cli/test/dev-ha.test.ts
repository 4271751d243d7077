import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig } from '@pgcluster/core';
import { capture, processesUsing } from './helpers/dev-helpers';
import { devDown } from '../src/dev/dev-down';
import { devStatus } from '../src/dev/dev-status';
import { devUp } from '../src/dev/dev-up';

const cwd = mkdtempSync(join(tmpdir(), 'pgc-dev-ha-'));
const configFile = join(cwd, 'pgcluster.config.json');

function listening(port: number): boolean {
  return execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim() !== '';
}

afterAll(async () => {
  await devDown({ cwd, purge: true }, capture());
  rmSync(cwd, { recursive: true, force: true });
}, 120_000);

test('dev up --ha writes patroni and pgbouncer into the config; dev status shows Patroni roles; dev down leaves nothing', async () => {
  const up = capture();
  expect(await devUp({ cwd, ha: true, fast: true }, up)).toBe(0);
  const config = ClusterConfig.parse(JSON.parse(readFileSync(configFile, 'utf8')));
  expect(config.patroni?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  // Every member's REST API, so the topology survives the loss of one.
  expect(config.patroni?.urls).toHaveLength(3);
  expect(config.pgbouncer?.adminUrl).toMatch(/^postgresql:\/\/pgbouncer_admin:.+@127\.0\.0\.1:\d+\/pgbouncer$/);
  // cluster-scale writes pool sizes into this file, so Patroni's role-change reload keeps them.
  expect(config.pgbouncer?.configFile).toMatch(/pgbouncer\.ini$/);
  expect(config.nodes?.map((n) => n.name)).toEqual(['node1', 'node2', 'node3']);
  expect(up.stdout.join('\n')).toContain('pgbouncer:');
  expect(up.stdout.join('\n')).not.toContain(new URL(config.nodes![0]!.url).password);

  const status = capture();
  expect(await devStatus({ cwd, format: 'json' }, status)).toBe(0);
  const doc = JSON.parse(status.stdout.join('')) as { patroni: Array<{ name: string; role: string }> };
  expect(doc.patroni.find((m) => m.role === 'leader')?.name).toBe('node1');
  const human = capture();
  await devStatus({ cwd }, human);
  expect(human.stdout[0]).toContain('PATRONI');

  const ports = [...config.nodes!.map((n) => Number(new URL(n.url).port)), Number(new URL(config.patroni!.url).port), Number(new URL(config.pgbouncer!.adminUrl).port)];
  const dataRoot = JSON.parse(readFileSync(join(cwd, '.pgcluster', 'dev', 'ha-cluster.json'), 'utf8')).dataRoot as string;
  expect(processesUsing(dataRoot).length).toBeGreaterThanOrEqual(7); // 3 Patroni, 3 postmasters, etcd, PgBouncer
  const down = capture();
  expect(await devDown({ cwd, purge: true }, down)).toBe(0);
  expect(processesUsing(dataRoot)).toEqual([]);
  for (const p of ports) expect(listening(p)).toBe(false);
}, 240_000);
