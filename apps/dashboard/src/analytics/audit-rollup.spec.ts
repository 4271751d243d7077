import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, type AuditRecord } from '@pgcluster/skill-kit';
import { parseAnalyticsQuery } from './analytics-query';
import { AuditRollup } from './audit-rollup';
import { bucketOf, bucketUpperMs, percentiles } from './duration-histogram';

const NOW = Date.parse('2026-05-20T12:30:00.000Z');
let stateDir: string;
let logFile: string;

beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'pgc-rollup-'));
  logFile = join(stateDir, 'audit', 'audit.jsonl');
  mkdirSync(join(stateDir, 'audit'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

let seq = 0;
function record(fields: Partial<AuditRecord> & { minutesAgo?: number }): AuditRecord {
  const { minutesAgo = 5, ...rest } = fields;
  seq++;
  return {
    id: `r${String(seq).padStart(6, '0')}`,
    time: new Date(NOW - minutesAgo * 60_000).toISOString(),
    skill: 'cluster-status',
    actor: 'cli',
    input: {},
    dryRun: false,
    outcome: { status: 'healthy' },
    durationMs: 100,
    ...rest,
  };
}
const write = (...records: AuditRecord[]) => appendFileSync(logFile, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
const rollupOf = () => new AuditRollup({ stateDir, now: () => NOW });

describe('AuditRollup', () => {
  test('counts runs by skill, actor and outcome, with error codes, undos and duration percentiles', () => {
    write(
      record({ durationMs: 10 }),
      record({ durationMs: 20, actor: 'agent' }),
      record({ skill: 'cluster-scale', outcome: { status: 'error', errorCode: 'UNREACHABLE' }, durationMs: 2000 }),
      record({ skill: 'cluster-scale', outcome: { status: 'refused', errorCode: 'CONFIRMATION_REQUIRED' }, actor: 'mcp' }),
      record({ skill: 'monitoring-health', outcome: { status: 'degraded' }, dryRun: true }),
      record({ skill: 'cluster-scale', outcome: { status: 'ok' }, undoOf: 'r000003' }),
    );
    const rollup = rollupOf();
    expect(rollup.refresh()).toBe(6);
    const all = rollup.query({ period: '24h' });
    expect(all.totals).toEqual({ runs: 6, success: 3, degraded: 1, error: 1, refused: 1, dryRuns: 1, undos: 1 });
    expect(all.shares.success).toBe(0.5);
    expect(all.topErrors).toEqual([
      { code: 'CONFIRMATION_REQUIRED', skill: 'cluster-scale', count: 1 },
      { code: 'UNREACHABLE', skill: 'cluster-scale', count: 1 },
    ]);
    expect(all.undos).toEqual([expect.objectContaining({ skill: 'cluster-scale', undoOf: 'r000003' })]);
    expect(all.perSkill[0]).toMatchObject({ skill: 'cluster-scale', runs: 3, error: 1, refused: 1 });
    expect(all.known).toEqual({ skills: ['cluster-scale', 'cluster-status', 'monitoring-health'], actors: ['agent', 'cli', 'mcp'] });
    expect(all.series.bucket).toBe('hour');
    expect(all.series.skills.map((s) => s.runs.reduce((a, b) => a + b, 0)).reduce((a, b) => a + b, 0)).toBe(6);

    expect(rollup.query({ period: '24h', actor: 'agent' }).totals.runs).toBe(1);
    expect(rollup.query({ period: '24h', skill: 'cluster-scale', actor: 'cli' }).totals).toMatchObject({ runs: 2, error: 1, undos: 1 });
  });

  test('the period filter leaves older runs out, and long periods count per day', () => {
    write(record({ minutesAgo: 30 }), record({ minutesAgo: 3 * 60 }), record({ minutesAgo: 3 * 24 * 60 }), record({ minutesAgo: 60 * 24 * 60 }));
    const rollup = rollupOf();
    rollup.refresh();
    expect(rollup.query({ period: '1h' }).totals.runs).toBe(1);
    expect(rollup.query({ period: '24h' }).totals.runs).toBe(2);
    expect(rollup.query({ period: '7d' }).totals.runs).toBe(3);
    const all = rollup.query({ period: 'all' });
    expect(all.totals.runs).toBe(4);
    expect(all.series.bucket).toBe('day');
    expect(all.series.times.length).toBeGreaterThanOrEqual(60);
  });

  test('reads only what was appended since the last refresh, and waits for a torn last line', () => {
    write(record({}));
    const rollup = rollupOf();
    expect(rollup.refresh()).toBe(1);
    expect(rollup.refresh()).toBe(0);
    const torn = JSON.stringify(record({ skill: 'vector-search' }));
    appendFileSync(logFile, torn.slice(0, 20));
    expect(rollup.refresh()).toBe(0);
    appendFileSync(logFile, `${torn.slice(20)}\nnot json\n`);
    expect(rollup.refresh()).toBe(1);
    const q = rollup.query({ period: '24h' });
    expect(q.totals.runs).toBe(2);
    expect(q.log.skippedLines).toBe(1);
  });

  test('an overlong line (over 16 MiB) is skipped and counted, and the records after it are read', () => {
    write(record({}));
    appendFileSync(logFile, `${'x'.repeat(17 * 1024 * 1024)}\n`);
    write(record({ skill: 'vector-search' }));
    const rollup = rollupOf();
    expect(rollup.refresh()).toBe(2);
    expect(rollup.query({ period: '24h' }).log).toMatchObject({ records: 2, skippedLines: 1 });
  });

  test('a saved rollup carries on from its byte offset; a replaced log is read again from the start', () => {
    write(record({}), record({}));
    const first = rollupOf();
    first.refresh();
    first.save();
    write(record({ skill: 'vector-index' }));
    const second = rollupOf();
    expect(second.refresh()).toBe(1); // only the new line: the first two came from the saved rollup
    expect(second.query({ period: '24h' }).totals.runs).toBe(3);
    expect((statSync(join(stateDir, 'dashboard', 'audit-rollup.json')).mode & 0o777).toString(8)).toBe('600');

    rmSync(logFile);
    writeFileSync(logFile, `${JSON.stringify(record({ skill: 'cluster-backup' }))}\n`);
    const third = rollupOf();
    third.refresh();
    expect(third.query({ period: '24h' }).perSkill.map((s) => s.skill)).toEqual(['cluster-backup']);
  });

  test('a damaged rollup file is rebuilt from the log', () => {
    write(record({}));
    mkdirSync(join(stateDir, 'dashboard'));
    writeFileSync(join(stateDir, 'dashboard', 'audit-rollup.json'), '{"version": 1, "rows": [[');
    const rollup = rollupOf();
    expect(rollup.refresh()).toBe(1);
  });

  test('reads the records AuditLog writes, and keeps the last real vector-benchmark per collection', async () => {
    const log = new AuditLog({ stateDir });
    await log.append({ skill: 'vector-benchmark', risk: 'read', actor: 'cli', input: { collection: 'docs', k: 10 }, dryRun: false, outcome: { status: 'ok' }, durationMs: 4200 });
    await log.append({ skill: 'vector-benchmark', risk: 'read', actor: 'cli', input: { collection: 'docs', k: 5 }, dryRun: true, outcome: { status: 'planned' }, durationMs: 3 });
    const rollup = new AuditRollup({ stateDir });
    expect(rollup.refresh()).toBe(2);
    expect(rollup.benchmarks()['docs']).toMatchObject({ status: 'ok', durationMs: 4200, input: { collection: 'docs', k: 10 } });
  });

  test('without a log there is nothing to count', () => {
    rmSync(join(stateDir, 'audit'), { recursive: true });
    const rollup = rollupOf();
    expect(rollup.refresh()).toBe(0);
    expect(rollup.query({ period: '7d' }).totals.runs).toBe(0);
    expect(existsSync(join(stateDir, 'dashboard'))).toBe(false);
  });
});

describe('duration histogram', () => {
  test('a percentile is within 12% of the exact one', () => {
    const durations = Array.from({ length: 1000 }, (_, i) => 5 + i * 3);
    const histogram: Record<number, number> = {};
    for (const d of durations) histogram[bucketOf(d)] = (histogram[bucketOf(d)] ?? 0) + 1;
    const [p50, p99] = percentiles(histogram, [0.5, 0.99]);
    expect(Math.abs(p50! - durations[499]!) / durations[499]!).toBeLessThan(0.12);
    expect(Math.abs(p99! - durations[989]!) / durations[989]!).toBeLessThan(0.12);
    expect(bucketUpperMs(bucketOf(100))).toBe(100);
    expect(percentiles({}, [0.5])).toEqual([null]);
  });
});

describe('parseAnalyticsQuery', () => {
  test('defaults the period and keeps the filters', () => {
    expect(parseAnalyticsQuery(new URLSearchParams(''))).toEqual({ period: '7d' });
    expect(parseAnalyticsQuery(new URLSearchParams('skill=cluster-status&actor=agent&period=24h'))).toEqual({ skill: 'cluster-status', actor: 'agent', period: '24h' });
  });
  test.each([
    ['period=2w', /^period: must be one of 1h, 6h/],
    ['actor=robot', /^actor: must be one of cli, mcp, agent/],
    ['skill=DROP%20TABLE', /^skill: must be a skill name/],
    ['limit=5', /^limit: unknown parameter; this endpoint takes skill, actor, period/],
    ['period=7d&period=24h', /^period: given more than once/],
  ])('%s is refused, naming the parameter', (query, message) => {
    expect(() => parseAnalyticsQuery(new URLSearchParams(query))).toThrow(message);
  });
});
