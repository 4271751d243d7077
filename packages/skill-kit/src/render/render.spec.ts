import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { Envelope, MetricSpec } from '../skill/skill-meta';
import { renderEnvelope } from './render-envelope';
import { renderHuman } from './render-human';
import { renderJson } from './render-json';
import { metricLabelNames, metricSamples, renderPrometheus } from './render-prometheus';

const healthy: Envelope = {
  ok: true,
  skill: 'monitoring-fixture-read',
  status: 'degraded',
  data: {
    nodes: [
      { name: 'node1', role: 'primary', lagBytes: 0, up: true },
      { name: 'node2', role: 'replica', lagBytes: 1024, up: false },
    ],
    pools: { total: 10, waiting: 2 },
    cluster: 'main',
  },
  alerts: ['node2 is down'],
  recommendations: [{ why: 'Start node2', skill: 'cluster-start', input: { node: 'node2' } }],
  rollback: { skill: 'cluster-scale', input: { replicas: 1 }, why: 'scale back to 1 replica' },
  auditId: '01jz3q5t7w4k2m9xyz',
  durationMs: 42,
};

const refused: Envelope = {
  ok: false,
  skill: 'maintenance-fixture-drop-table',
  status: 'refused',
  data: null,
  alerts: [],
  recommendations: [],
  plan: [{ kind: 'sql', target: 'node1', text: 'drop table if exists public."items"' }],
  error: { code: 'REFUSED', message: 'requires confirmation', hint: 'Pass --yes to confirm.' },
  durationMs: 3,
};

describe('renderJson', () => {
  it('is exactly one JSON document, the envelope', () => {
    const text = renderJson(healthy);
    expect(JSON.parse(text)).toEqual(healthy);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.trim().split('\n\n')).toHaveLength(1);
  });

  it('writes BigInts as numbers when safe, else as strings', () => {
    const text = renderJson({ ...healthy, data: { small: 5n, big: 2n ** 70n } });
    expect(JSON.parse(text).data).toEqual({ small: 5, big: '1180591620717411303424' });
  });
});

describe('renderHuman', () => {
  it('shows a verdict first, tables, key: value, alerts, recommendations as command lines, undo', () => {
    expect(renderHuman(healthy)).toBe(
      [
        '! monitoring-fixture-read: degraded, 1 alert (42 ms)',
        '',
        'nodes:',
        '  name   role     lagBytes  up',
        '  -----  -------  --------  -----',
        '  node1  primary  0 B       true',
        '  node2  replica  1 kB      false',
        'pools:',
        '  total: 10',
        '  waiting: 2',
        'cluster: main',
        '',
        'Alerts:',
        '  ! node2 is down',
        '',
        'Recommendations:',
        '  - Start node2',
        '    pgcluster cluster-start --node node2',
        '',
        'Undo: scale back to 1 replica (pgcluster audit undo 01jz3q5t7w4k2m9xyz)',
        '',
        'Audit: 01jz3q5t7w4k2m9xyz',
        '',
      ].join('\n'),
    );
  });

  it('colours the verdict only when asked', () => {
    expect(renderHuman(healthy, { color: true }).startsWith('\u001b[33m! monitoring-fixture-read')).toBe(true);
    expect(renderHuman(healthy)).not.toContain('\u001b[');
  });

  it('leaves out nulls, empty fields and what the envelope already says, and rounds for reading', () => {
    const data = {
      status: 'degraded',
      alerts: ['node2 is down'],
      error: null,
      note: '',
      tags: [],
      sizeBytes: 3_500_000_000,
      durationMs: 15_234,
      avg_query_ms: 3.14159,
      fraction: 0.3479648842777334,
      utilization: 85.333,
      recall: 0.953333333,
      builds: [{ phase: 'building', fraction: 0.5, index: null }],
    };
    const text = renderHuman({ ...healthy, data } as Envelope);
    expect(text).not.toMatch(/^status:|^alerts:|error:|note:|tags:|null/m);
    expect(text).toContain('sizeBytes: 3.3 GB\ndurationMs: 15.2 s\navg_query_ms: 3.1 ms\nfraction: 34.8%\nutilization: 85.3%\nrecall: 0.9533');
    expect(text).toContain('builds:\n  phase     fraction\n  --------  --------\n  building  50%');
  });

  it('cuts long table cells between words, never inside one', () => {
    const long = 'CREATE INDEX docs_embedding_hnsw ON public.docs USING hnsw (embedding vector_cosine_ops) WITH (m = 24)';
    const text = renderHuman({ ...healthy, data: [{ definition: long }], alerts: [], recommendations: [] } as Envelope);
    const cell = text.split('\n').find((l) => l.startsWith('CREATE'))!;
    expect(cell.endsWith('…')).toBe(true);
    expect(long.startsWith(cell.slice(0, -1))).toBe(true);
    expect(long[cell.length - 1]).toBe(' ');
  });

  it('shows the error with its hint and the plan that was not run', () => {
    const text = renderHuman(refused);
    expect(text).toContain('Error REFUSED: requires confirmation\nHint: Pass --yes to confirm.');
    expect(text).toContain('Plan (not run):\n  1. [sql] node1: drop table if exists public."items"');
    expect(renderHuman({ ...refused, status: 'planned', error: undefined } as Envelope)).toContain('Plan (dry run: nothing was changed):');
  });

  it('shows a top-level list as a table and leaves out empty lists', () => {
    const text = renderHuman({ ...healthy, data: [{ a: 1, b: 'x' }, { a: 2 }], alerts: [], recommendations: [] } as Envelope);
    expect(text).toContain('a  b\n-  -\n1  x\n2');
    expect(renderHuman({ ...healthy, data: { items: [] } } as Envelope)).not.toContain('items');
  });
});

describe('renderPrometheus', () => {
  const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const metrics: MetricSpec[] = [
    { name: 'pgcluster_node_lag_bytes', help: 'WAL bytes the node is behind the primary.', value: 'nodes[].lagBytes', labels: { node: 'nodes[].name', cluster: 'cluster' } },
    { name: 'pgcluster_node_up', help: 'Whether the node answers.', value: 'nodes[].up', labels: { node: 'nodes[].name' } },
    { name: 'pgcluster_node_role', help: 'Role of the node: 1 for its role.', value: 'nodes[].role', states: ['primary', 'replica', 'unknown'], labels: { node: 'nodes[].name' } },
    { name: 'pgcluster_pool_waiting_ratio', help: 'Waiting share.', value: 'pools.waiting', scale: 0.01 },
    { name: 'pgcluster_fixture_checks_total', help: 'Checks run.', type: 'counter', value: 'pools.total' },
    { name: 'pgcluster_fixture_absent', help: 'Not in the data.', value: 'nowhere.value' },
  ];

  it('renders the declared families from data, with HELP and TYPE, and the run families', async () => {
    const text = await renderPrometheus(healthy, { metrics });
    const families = parsePrometheusTextFormat(text);
    for (const f of families) expect(f.name).toMatch(METRIC_NAME);
    const byName = new Map(families.map((f) => [f.name, f]));
    const status = byName.get('pgcluster_skill_status')!.metrics;
    expect(status).toHaveLength(7);
    expect(status.filter((m) => m.value === '1')).toEqual([{ value: '1', labels: { skill: 'monitoring-fixture-read', status: 'degraded' } }]);
    expect(byName.get('pgcluster_skill_duration_seconds')!.metrics).toEqual([{ value: '0.042', labels: { skill: 'monitoring-fixture-read' } }]);
    expect(byName.get('pgcluster_skill_alerts')!.metrics[0]?.value).toBe('1');

    const lag = byName.get('pgcluster_node_lag_bytes')!;
    expect(lag).toMatchObject({ help: 'WAL bytes the node is behind the primary.', type: 'GAUGE' });
    expect(lag.metrics).toEqual([
      { value: '0', labels: { node: 'node1', cluster: 'main' } },
      { value: '1024', labels: { node: 'node2', cluster: 'main' } },
    ]);
    expect(byName.get('pgcluster_node_up')!.metrics.map((m) => m.value)).toEqual(['1', '0']);
    expect(byName.get('pgcluster_pool_waiting_ratio')!.metrics).toEqual([{ value: '0.02' }]);
    expect(byName.get('pgcluster_fixture_checks_total')).toMatchObject({ type: 'COUNTER', metrics: [{ value: '10' }] });
    expect(byName.has('pgcluster_fixture_absent')).toBe(false);
  });

  it('gives a state one sample per state, so a series keeps its labels when the state changes', async () => {
    const text = await renderPrometheus(healthy, { metrics });
    const role = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f.metrics])).get('pgcluster_node_role')!;
    expect(role).toEqual([
      { value: '1', labels: { node: 'node1', role: 'primary' } },
      { value: '0', labels: { node: 'node1', role: 'replica' } },
      { value: '0', labels: { node: 'node1', role: 'unknown' } },
      { value: '0', labels: { node: 'node2', role: 'primary' } },
      { value: '1', labels: { node: 'node2', role: 'replica' } },
      { value: '0', labels: { node: 'node2', role: 'unknown' } },
    ]);
    expect(metricLabelNames(metrics[2]!)).toEqual(['node', 'role']);
  });

  it('walks nested arrays, binding labels to the element of each level, and skips nulls', () => {
    const data = { nodes: [{ name: 'n1', checks: [{ id: 'disk', ms: 5 }, { id: 'wal', ms: null }] }] };
    expect(metricSamples(data, { name: 'pgcluster_check_seconds', help: 'h', value: 'nodes[].checks[].ms', scale: 0.001, labels: { node: 'nodes[].name', check: 'nodes[].checks[].id' } })).toEqual([
      { labels: { node: 'n1', check: 'disk' }, value: 0.005 },
    ]);
  });

  it('renders an error envelope as status gauges only, escaping label values, with a fresh registry each time', async () => {
    const first = await renderPrometheus(refused, { metrics });
    const second = await renderPrometheus({ ...refused, skill: 'maintenance-"odd"\\name' });
    expect(parsePrometheusTextFormat(first).map((f) => f.name)).toEqual([
      'pgcluster_skill_status',
      'pgcluster_skill_duration_seconds',
      'pgcluster_skill_alerts',
    ]);
    const odd = parsePrometheusTextFormat(second)[0]!.metrics[0]!.labels!['skill'];
    expect(odd).toBe('maintenance-"odd"\\name');
  });
});

describe('renderEnvelope', () => {
  it('dispatches on the format', async () => {
    expect(JSON.parse(await renderEnvelope(healthy, 'json'))).toEqual(healthy);
    expect(await renderEnvelope(healthy, 'human')).toContain('monitoring-fixture-read: degraded');
    expect(await renderEnvelope(healthy, 'prometheus')).toContain('# TYPE pgcluster_skill_status gauge');
    await expect(renderEnvelope(healthy, 'xml' as never)).rejects.toThrow('unknown format "xml"');
  });
});

describe('renderHuman on a narrow screen', () => {
  it('turns a table wider than the screen into one block per record', () => {
    const data = { nodes: [{ name: 'node1', address: '127.0.0.1:5432/app', version: '15.20 (Debian 15.20-0+deb12u1)', lag_bytes: 0 }] };
    const text = renderHuman({ ...healthy, data, alerts: [], recommendations: [] } as Envelope, { width: 40 });
    expect(text).toContain('nodes:\n  node1:\n    address: 127.0.0.1:5432/app\n    version: 15.20 (Debian 15.20-0+deb12u1)\n    lag_bytes: 0 B');
  });
});
