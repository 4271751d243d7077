/**
 * The benchmark report format of DESIGN.md §7: printed as a table and written to
 * bench/results/<name>.json (not committed).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

/** One measured figure, ours against a baseline measured in the same run. */
export interface Metric {
  id: string;
  unit: string;
  ours: number;
  baseline: number | null;
  baselineName: string | null;
  /** ours ÷ baseline for throughputs, baseline ÷ ours for times: above 1 = we are faster. */
  ratio: number | null;
  goal: string;
}

/** Whether bigger is better for a metric (throughput) or smaller (time). */
export type Direction = 'higher-is-better' | 'lower-is-better';

/** Builds a metric and computes its ratio the way §7 says. */
export function metric(
  id: string,
  unit: string,
  direction: Direction,
  ours: number,
  baseline: { name: string; value: number } | null,
  goal: string,
): Metric {
  const ratio = baseline === null ? null : direction === 'higher-is-better' ? ours / baseline.value : baseline.value / ours;
  return {
    id,
    unit,
    ours: round(ours),
    baseline: baseline === null ? null : round(baseline.value),
    baselineName: baseline?.name ?? null,
    ratio: ratio === null ? null : round(ratio),
    goal,
  };
}

/** Prints the metrics and writes bench/results/<name>.json. */
export function writeReport(name: string, postgres: string, metrics: Metric[]): string {
  const report = {
    name,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, postgres },
    metrics,
  };
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  const rows = metrics.map((m) => ({
    metric: m.id,
    ours: `${m.ours} ${m.unit}`,
    baseline: m.baseline === null ? '-' : `${m.baseline} ${m.unit} (${m.baselineName})`,
    ratio: m.ratio ?? '-',
    goal: m.goal,
  }));
  console.table(rows);
  console.log(`wrote ${file}`);
  return file;
}

/** The median of a non-empty list. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
