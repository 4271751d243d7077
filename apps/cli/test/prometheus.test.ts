/**
 * `--format prometheus` of every skill passes `promtool check metrics` (Debian package
 * `prometheus`, installed by scripts/setup-system.sh): the built CLI runs each skill against a
 * real cluster — for real where it reads or where the change is small (a collection, an index,
 * a backup), with --dry-run where it would fail over or restore — and promtool must have no
 * complaint about any output: names in base units, `_total` only on counters, HELP and TYPE on
 * every family.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useCluster } from '@pgcluster/testing';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { buildCli, ROOT, spawnCli } from './helpers/run-cli';

const manifest = JSON.parse(readFileSync(join(ROOT, 'skills', 'manifest.json'), 'utf8')) as { skills: { name: string }[] };
const COLLECTION = 'prom_docs';
const ROWS = Array.from({ length: 40 }, (_, i) => ({ key: `doc${i}`, embedding: [Math.cos(i / 5), Math.sin(i / 5), (i % 7) / 7] }));

/** Each skill at least once, in an order that gives the later ones something to work on. */
const RUNS: { skill: string; args: string[]; stdin?: string }[] = [
  { skill: 'cluster-status', args: ['--sample-ms', '100'] },
  { skill: 'vector-index', args: ['--action', 'create-collection', '--collection', COLLECTION, '--dimension', '3'] },
  { skill: 'vector-insert', args: ['--input', '-'], stdin: JSON.stringify({ collection: COLLECTION, rows: ROWS }) },
  { skill: 'vector-index', args: ['--action', 'create', '--collection', COLLECTION, '--profile', 'speed'] },
  { skill: 'vector-index', args: ['--action', 'status', '--collection', COLLECTION] },
  { skill: 'vector-index', args: ['--action', 'list'] },
  { skill: 'vector-search', args: ['--collection', COLLECTION, '--vector', '[1, 0, 0.5]', '--k', '3', '--read-from', 'primary'] },
  { skill: 'vector-benchmark', args: ['--collection', COLLECTION, '--operations', '20', '--sample-size', '5', '--concurrency', '2', '--ef-search', '10', '40', '--read-from', 'primary'] },
  { skill: 'vector-drop', args: ['--target', 'index', '--collection', COLLECTION, '--dry-run'] },
  { skill: 'cluster-backup', args: ['--action', 'list'] },
  { skill: 'cluster-restore', args: ['--action', 'restore', '--id', 'no-such-backup', '--dry-run'] },
  { skill: 'cluster-scale', args: ['--direction', 'up', '--dry-run'] },
  { skill: 'cluster-failover', args: ['--action', 'failover', '--dry-run'] },
  { skill: 'monitoring-health', args: ['--category', 'connections', 'indexes', 'replication', 'pgvector'] },
  { skill: 'monitoring-performance', args: ['--sample-ms', '200'] },
  { skill: 'monitoring-logs', args: ['--since', '1h'] },
  { skill: 'monitoring-alerts', args: ['--action', 'evaluate'] },
  { skill: 'maintenance-sessions', args: ['--action', 'list'] },
  { skill: 'maintenance-vacuum', args: ['--table', COLLECTION, '--analyze'] },
  { skill: 'maintenance-analyze', args: ['--table', COLLECTION] },
  { skill: 'maintenance-reindex', args: ['--table', COLLECTION, '--dry-run'] },
  { skill: 'maintenance-optimize', args: ['--top', '5', '--budget-seconds', '5'] },
  { skill: 'security-audit', args: ['--category', 'authentication', 'encryption'] },
  { skill: 'security-compliance', args: [] },
  { skill: 'security-rotate', args: ['--role', 'pgcluster', '--dry-run'] },
  { skill: 'security-encrypt', args: ['--require-tls', '--dry-run'] },
  { skill: 'security-pgaudit', args: ['--dry-run'] },
  { skill: 'security-reader', args: ['--dry-run'] },
  { skill: 'cluster-query', args: ['--sql', 'select 1 as one'] },
  // An error envelope (bad input) is exposition text too.
  { skill: 'vector-search', args: ['--collection', 'no_such_collection', '--vector', '[1, 0, 0.5]'] },
];

/** promtool's complaints about one exposition text: empty when it has none. */
function promtool(text: string): { code: number | null; complaints: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) throw new Error(`promtool did not run (${result.error.message}): install Debian's prometheus package (bash scripts/setup-system.sh)`);
  return { code: result.status, complaints: `${result.stdout}${result.stderr}`.trim() };
}

describe('--format prometheus passes promtool check metrics for every skill (real cluster)', () => {
  const cluster = useCluster({ replicas: 1, fast: true });
  let dir: string;
  const outputs = new Map<string, string>();

  beforeAll(() => {
    buildCli();
    dir = mkdtempSync(join(tmpdir(), 'pgcluster-prom-'));
    const nodes = cluster().nodes.map((n) => ({ name: n.name, url: n.url() }));
    writeFileSync(join(dir, 'pgcluster.config.json'), JSON.stringify({ name: 'prom', nodes }), { mode: 0o600 });
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test.each(RUNS.map((run, i) => [`${i + 1}. ${run.skill} ${run.args.join(' ')}`.slice(0, 110), run] as const))('%s', (_title, run) => {
    const result = spawnCli([run.skill, ...run.args, '--format', 'prometheus'], { cwd: dir, ...(run.stdin !== undefined ? { stdin: run.stdin } : {}) });
    expect(result.stdout).toContain('# TYPE pgcluster_skill_status gauge');
    expect({ run: run.args.join(' '), ...promtool(result.stdout) }).toEqual({ run: run.args.join(' '), code: 0, complaints: '' });
    outputs.set(`${run.skill} ${run.args[1] ?? ''}`, result.stdout);
  }, 120_000);

  test('every skill of the manifest was checked', () => {
    const checked = new Set([...outputs.keys()].map((k) => k.split(' ')[0]));
    expect(manifest.skills.map((s) => s.name).filter((name) => !checked.has(name))).toEqual([]);
  });

  test('series are labelled by what identifies them, not by state or position', () => {
    const families = (key: string) => new Map(parsePrometheusTextFormat(outputs.get(key) ?? '').map((f) => [f.name, f.metrics]));
    const status = families('cluster-status 100');
    expect(status.get('pgcluster_node_up')?.map((m) => m.labels)).toEqual(cluster().nodes.map((n) => ({ node: n.name })));
    expect(status.get('pgcluster_node_role')).toHaveLength(cluster().nodes.length * 3);
    const benchmark = families(`vector-benchmark ${COLLECTION}`);
    expect(benchmark.get('pgcluster_vector_benchmark_recall_ratio')?.map((m) => m.labels)).toEqual([
      { collection: COLLECTION, ef_search: '10' },
      { collection: COLLECTION, ef_search: '40' },
    ]);
    for (const text of outputs.values()) expect(text).not.toMatch(/position="/);
    const health = families('monitoring-health connections');
    expect(health.get('pgcluster_health_node_up')?.map((m) => m.labels)).toEqual(cluster().nodes.map((n) => ({ node: n.name })));
    // A check's series keeps its labels whatever its outcome: one sample per state.
    expect(health.get('pgcluster_health_check_state')?.filter((m) => m.labels?.check === 'invalid_indexes').map((m) => m.labels?.status)).toEqual(['ok', 'warning', 'critical', 'skipped']);
  });
});
