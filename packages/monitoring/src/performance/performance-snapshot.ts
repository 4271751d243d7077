import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, ensureStateSubdir } from '@pgcluster/core';
import { round } from '../health/node-check';
import type { NodeCounters } from './collect-node-performance';
import type { PerformanceComparison } from './performance-schema';

/** A kept snapshot: when, and each node's cumulative counters. */
export interface PerformanceSnapshot {
  takenAt: string;
  cluster: string;
  nodes: Record<string, NodeCounters>;
}

/**
 * The folder of performance snapshots in the state dir (created when missing).
 * @example snapshotDir(loaded.stateDir) // '.pgcluster/monitoring/performance'
 */
export function snapshotDir(stateDir: string): string {
  return ensureStateSubdir(stateDir, 'monitoring', 'performance');
}

/**
 * A snapshot's name for a time: its UTC ISO form with `:` and `.` replaced by `-`.
 * @example snapshotName(new Date('2026-11-30T08:50:00.123Z')) // '2026-11-30T08-50-00-123Z'
 */
export function snapshotName(at: Date): string {
  return at.toISOString().replace(/[:.]/g, '-');
}

/**
 * Writes a snapshot and returns its name.
 * @example const name = saveSnapshot(stateDir, { takenAt: new Date().toISOString(), cluster: 'dev', nodes })
 */
export function saveSnapshot(stateDir: string, snapshot: PerformanceSnapshot): string {
  const name = snapshotName(new Date(snapshot.takenAt));
  writeFileSync(join(snapshotDir(stateDir), `${name}.json`), `${JSON.stringify(snapshot)}\n`, { mode: 0o600 });
  return name;
}

/**
 * Reads a snapshot by name.
 * @throws InputError `compare` when there is no such snapshot.
 * @example loadSnapshot(stateDir, '2026-11-30T08-50-00-123Z')
 */
export function loadSnapshot(stateDir: string, name: string): PerformanceSnapshot {
  const file = join(snapshotDir(stateDir), `${name}.json`);
  if (!existsSync(file)) throw new InputError('compare', `no snapshot named ${name} in ${snapshotDir(stateDir)} (snapshots are named by the time they were taken; see data.snapshot of an earlier run)`);
  return JSON.parse(readFileSync(file, 'utf8')) as PerformanceSnapshot;
}

/**
 * What changed between an earlier snapshot and now, per node: transactions, WAL, checkpoints,
 * and the statements that took the most time in between (a reset in between is flagged and the
 * deltas then count from the reset).
 *
 * @example compareSnapshots('2026-11-30T08-50-00-123Z', earlier, now, 10).nodes[0].statements
 */
export function compareSnapshots(name: string, earlier: PerformanceSnapshot, now: PerformanceSnapshot, top: number): PerformanceComparison {
  const seconds = round((Date.parse(now.takenAt) - Date.parse(earlier.takenAt)) / 1000);
  const nodes = Object.entries(now.nodes).map(([node, b]) => {
    const a = earlier.nodes[node];
    const diff = (x: number | null | undefined, y: number | null | undefined) => (x === null || x === undefined || y === null || y === undefined ? null : y - x);
    let reset = false;
    const statements = Object.entries(b.statements).map(([queryId, s]) => {
      const before = a?.statements[queryId];
      if (before && s.calls < before.calls) reset = true;
      const calls = before && s.calls >= before.calls ? s.calls - before.calls : s.calls;
      const totalMs = before && s.calls >= before.calls ? s.totalMs - before.totalMs : s.totalMs;
      return { key: `${node}:${queryId}`, queryId, calls, totalSeconds: round(totalMs / 1000, 6), meanSeconds: calls > 0 ? round(totalMs / calls / 1000, 6) : null, query: s.query, isNew: !before };
    });
    const xacts = diff(a?.xacts, b.xacts);
    if (xacts !== null && xacts < 0) reset = true;
    return {
      name: node,
      reset,
      transactions: xacts !== null && xacts >= 0 ? xacts : null,
      walBytes: diff(a?.walLsn, b.walLsn),
      checkpointsRequested: diff(a?.checkpointsRequested, b.checkpointsRequested),
      checkpointsTimed: diff(a?.checkpointsTimed, b.checkpointsTimed),
      newStatements: a ? statements.filter((s) => s.isNew).length : 0,
      statements: statements
        .filter((s) => s.calls > 0)
        .sort((x, y) => y.totalSeconds - x.totalSeconds)
        .slice(0, top)
        .map(({ isNew: _, ...s }) => s),
    };
  });
  return { snapshot: name, seconds, nodes };
}
