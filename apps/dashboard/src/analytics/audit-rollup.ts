import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureStateSubdir } from '@pgcluster/core';
import type { AuditRecord } from '@pgcluster/skill-kit';
import { periodStartHour, type AnalyticsQuery, type Period } from './analytics-query';
import { bucketOf, mergeHistogram, percentiles, type DurationHistogram } from './duration-histogram';

/** Where {@link AuditRollup} reads and keeps its aggregate. */
export interface AuditRollupConfig {
  /** The absolute state dir: the log is `<stateDir>/audit/audit.jsonl`, the rollup `<stateDir>/dashboard/audit-rollup.json`. */
  stateDir: string;
  /** Save the rollup after reading this many new bytes, or `saveEveryMs` after a change; default 4 MiB. */
  saveEveryBytes?: number;
  /** Default 10,000 ms. */
  saveEveryMs?: number;
  /** The clock, for the period filters; default `Date.now`. */
  now?: () => number;
}

/** Outcome groups of the analytics: the envelope statuses folded into four. */
export const OUTCOMES = ['success', 'degraded', 'error', 'refused'] as const;
/** One of {@link OUTCOMES}. */
export type Outcome = (typeof OUTCOMES)[number];

/** Runs of one skill in one outcome group, with duration percentiles (ms, within 12%). */
export interface SkillRuns {
  skill: string;
  runs: number;
  success: number;
  degraded: number;
  error: number;
  refused: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
}

/** An undo action found in the log (`pgcluster audit undo`). */
export interface UndoAction {
  id: string;
  time: string;
  skill: string;
  actor: string;
  status: string;
  /** The run it undid. */
  undoOf: string;
}

/** The last real run of `vector-benchmark` on a collection. */
export interface BenchmarkRun {
  id: string;
  time: string;
  status: string;
  durationMs: number;
  actor: string;
  /** Its recorded (already redacted) input. */
  input: Record<string, unknown>;
}

/**
 * The skill analytics for one filter: what the dashboard's analytics panel shows.
 * @example
 * ```json
 * { "period": "7d", "totals": { "runs": 120, "success": 110, "degraded": 4, "error": 5, "refused": 1, "dryRuns": 12, "undos": 1 },
 *   "durationMs": { "p50": 89, "p90": 447, "p99": 1778, "mean": 201.5 }, "series": { "bucket": "day", "times": [...], "skills": [...] }, ... }
 * ```
 */
export interface SkillAnalytics {
  period: Period;
  skill: string | null;
  actor: string | null;
  /** ISO time of the first bucket covered, null for `all` without records. */
  from: string | null;
  to: string;
  totals: { runs: number; success: number; degraded: number; error: number; refused: number; dryRuns: number; undos: number };
  /** Outcome shares of the runs, 0–1 (0 without runs). */
  shares: Record<Outcome, number>;
  durationMs: { p50: number | null; p90: number | null; p99: number | null; mean: number | null };
  /** Runs over time: the busiest skills, the others summed as `other`. */
  series: { bucket: 'hour' | 'day'; times: string[]; skills: { skill: string; runs: number[] }[] };
  perSkill: SkillRuns[];
  /** The most frequent error codes (errors and refusals), with the skill they came from. */
  topErrors: { code: string; skill: string; count: number }[];
  /** The newest undo actions in the period. */
  undos: UndoAction[];
  /** Every skill and actor that appears in the log, for the filters. */
  known: { skills: string[]; actors: string[] };
  /** Records read from the log so far, and when the newest started. */
  log: { records: number; skippedLines: number; lastRecordAt: string | null };
}

/** Skills shown by name in the series; the rest are summed. */
const SERIES_SKILLS = 6;
const TOP_ERRORS = 10;
const UNDOS_KEPT = 200;
const UNDOS_SHOWN = 20;
const ROLLUP_VERSION = 1;
/** Read size: small chunks keep the garbage of a first read of a large log (and the peak RSS) low. */
const CHUNK_BYTES = 512 * 1024;
/** A longer line is no record: it is skipped (and counted). */
const MAX_LINE_BYTES = 16 * 1024 * 1024;
const SAVE_EVERY_BYTES = 4 * 1024 * 1024;

/** One hour × skill × actor. */
interface Row {
  hour: number;
  skill: string;
  actor: string;
  runs: number;
  success: number;
  degraded: number;
  error: number;
  refused: number;
  dryRuns: number;
  undos: number;
  durationSum: number;
  histogram: DurationHistogram;
  errors: Record<string, number>;
}

type StoredRow = [number, string, string, number, number, number, number, number, number, number, number, DurationHistogram, Record<string, number>];

interface StoredRollup {
  version: number;
  file: string;
  ino: number;
  offset: number;
  records: number;
  skippedLines: number;
  lastRecordAt: string | null;
  rows: StoredRow[];
  undos: UndoAction[];
  benchmarks: Record<string, BenchmarkRun>;
}

const OUTCOME_OF: Readonly<Record<string, Outcome>> = { ok: 'success', healthy: 'success', planned: 'success', degraded: 'degraded', critical: 'degraded', error: 'error', refused: 'refused' };

/**
 * An incremental aggregate of skill-kit's audit log (`<stateDir>/audit/audit.jsonl`): per hour,
 * skill and actor, the runs by outcome, a duration histogram and the error codes. Each
 * {@link refresh} reads only the bytes appended since the last one (from the byte offset it
 * stopped at), so answering a query costs a pass over the hourly rows, not over the log; the
 * rollup is saved in `<stateDir>/dashboard/audit-rollup.json` (mode 600) so a restarted
 * dashboard starts from it. A log that shrank or was replaced is read again from its start.
 * A torn last line waits for the next refresh; an unreadable line is counted and skipped.
 *
 * @example
 * ```ts
 * const rollup = new AuditRollup({ stateDir: loadConfig().stateDir })
 * await rollup.refresh()
 * const analytics = rollup.query({ period: '24h', actor: 'agent' })
 * ```
 */
export class AuditRollup {
  readonly #config: AuditRollupConfig;
  readonly #logFile: string;
  readonly #rollupFile: string;
  #rows = new Map<string, Row>();
  #ino = 0;
  #offset = 0;
  #records = 0;
  #skipped = 0;
  #lastRecordAt: string | null = null;
  #undos: UndoAction[] = [];
  #benchmarks: Record<string, BenchmarkRun> = {};
  #unsavedBytes = 0;
  #savedAt = 0;
  #loaded = false;

  constructor(config: AuditRollupConfig) {
    this.#config = config;
    this.#logFile = join(config.stateDir, 'audit', 'audit.jsonl');
    this.#rollupFile = join(config.stateDir, 'dashboard', 'audit-rollup.json');
  }

  /**
   * Reads what was appended to the log since the last refresh (the saved rollup first, on the
   * first call) and saves the rollup when enough changed.
   * @returns the number of new records.
   */
  refresh(): number {
    if (!this.#loaded) {
      this.#loaded = true;
      this.#load();
    }
    if (!existsSync(this.#logFile)) {
      if (this.#offset > 0) this.#reset();
      return 0;
    }
    const fd = openSync(this.#logFile, 'r');
    let added = 0;
    try {
      const stat = fstatSync(fd);
      if (stat.ino !== this.#ino || stat.size < this.#offset) {
        this.#reset();
        this.#ino = stat.ino;
      }
      const start = this.#offset;
      const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
      // Bytes after the last newline read so far: a line the next chunk completes (or a torn one).
      let carry = Buffer.alloc(0);
      let skipping = false;
      let position = this.#offset;
      for (;;) {
        const read = readSync(fd, buffer, 0, CHUNK_BYTES, position);
        if (read === 0) break;
        position += read;
        const newline = buffer.lastIndexOf(10, read - 1);
        if (newline < 0) {
          if (!skipping) carry = Buffer.concat([carry, buffer.subarray(0, read)]);
          if (carry.length > MAX_LINE_BYTES) {
            skipping = true;
            carry = Buffer.alloc(0);
          }
          continue;
        }
        let from = 0;
        if (skipping) {
          from = buffer.indexOf(10) + 1; // the rest of the overlong line
          skipping = false;
          this.#skipped++;
        }
        const text = carry.length ? Buffer.concat([carry, buffer.subarray(from, newline + 1)]).toString('utf8') : buffer.toString('utf8', from, newline + 1);
        carry = Buffer.from(buffer.subarray(newline + 1, read));
        added += this.#consume(text);
        this.#offset = position - carry.length;
      }
      this.#unsavedBytes += this.#offset - start;
    } finally {
      closeSync(fd);
    }
    const now = Date.now();
    if (this.#unsavedBytes > 0 && (this.#unsavedBytes >= (this.#config.saveEveryBytes ?? SAVE_EVERY_BYTES) || now - this.#savedAt >= (this.#config.saveEveryMs ?? 10_000))) this.save();
    return added;
  }

  /** Writes the rollup to the state dir now (atomically: a temp file renamed over it). */
  save(): void {
    const stored: StoredRollup = {
      version: ROLLUP_VERSION,
      file: this.#logFile,
      ino: this.#ino,
      offset: this.#offset,
      records: this.#records,
      skippedLines: this.#skipped,
      lastRecordAt: this.#lastRecordAt,
      rows: [...this.#rows.values()].map((r) => [r.hour, r.skill, r.actor, r.runs, r.success, r.degraded, r.error, r.refused, r.dryRuns, r.undos, r.durationSum, r.histogram, r.errors]),
      undos: this.#undos,
      benchmarks: this.#benchmarks,
    };
    // Security: the rollup names skills and collections like the log does: private to the owner (700/600).
    ensureStateSubdir(this.#config.stateDir, 'dashboard');
    const temp = `${this.#rollupFile}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(stored), { mode: 0o600 });
    renameSync(temp, this.#rollupFile);
    this.#unsavedBytes = 0;
    this.#savedAt = Date.now();
  }

  /** The last real `vector-benchmark` run per collection (from the log read so far). */
  benchmarks(): Readonly<Record<string, BenchmarkRun>> {
    return this.#benchmarks;
  }

  /**
   * The analytics for one filter, from the rollup as last refreshed.
   * @example rollup.query({ period: '7d', skill: 'cluster-status' }).shares.error
   */
  query(query: AnalyticsQuery): SkillAnalytics {
    const nowMs = (this.#config.now ?? Date.now)();
    const nowHour = Math.floor(nowMs / 3_600_000);
    let startHour = periodStartHour(query.period, nowMs);
    const totals = { runs: 0, success: 0, degraded: 0, error: 0, refused: 0, dryRuns: 0, undos: 0 };
    const histogram: DurationHistogram = {};
    let durationSum = 0;
    const perSkill = new Map<string, { runs: SkillRuns; histogram: DurationHistogram }>();
    const errors = new Map<string, { code: string; skill: string; count: number }>();
    const skills = new Set<string>();
    const actors = new Set<string>();
    const matching: Row[] = [];
    let minHour = Number.POSITIVE_INFINITY;
    for (const row of this.#rows.values()) {
      skills.add(row.skill);
      actors.add(row.actor);
      if (row.hour < startHour || row.hour > nowHour) continue;
      if (query.skill !== undefined && row.skill !== query.skill) continue;
      if (query.actor !== undefined && row.actor !== query.actor) continue;
      matching.push(row);
      if (row.hour < minHour) minHour = row.hour;
      totals.runs += row.runs;
      totals.success += row.success;
      totals.degraded += row.degraded;
      totals.error += row.error;
      totals.refused += row.refused;
      totals.dryRuns += row.dryRuns;
      totals.undos += row.undos;
      durationSum += row.durationSum;
      mergeHistogram(histogram, row.histogram);
      let s = perSkill.get(row.skill);
      if (!s) {
        s = { runs: { skill: row.skill, runs: 0, success: 0, degraded: 0, error: 0, refused: 0, p50Ms: null, p90Ms: null, p99Ms: null }, histogram: {} };
        perSkill.set(row.skill, s);
      }
      s.runs.runs += row.runs;
      s.runs.success += row.success;
      s.runs.degraded += row.degraded;
      s.runs.error += row.error;
      s.runs.refused += row.refused;
      mergeHistogram(s.histogram, row.histogram);
      for (const code in row.errors) {
        const key = `${code}\u0000${row.skill}`;
        const e = errors.get(key);
        if (e) e.count += row.errors[code]!;
        else errors.set(key, { code, skill: row.skill, count: row.errors[code]! });
      }
    }
    if (startHour === Number.NEGATIVE_INFINITY) startHour = Number.isFinite(minHour) ? minHour : nowHour;
    const [p50, p90, p99] = percentiles(histogram, [0.5, 0.9, 0.99]);
    const share = (n: number) => (totals.runs ? Math.round((n / totals.runs) * 10_000) / 10_000 : 0);
    const ranked = [...perSkill.values()]
      .map((s) => {
        const [a, b, c] = percentiles(s.histogram, [0.5, 0.9, 0.99]);
        return { ...s.runs, p50Ms: a!, p90Ms: b!, p99Ms: c! };
      })
      .sort((a, b) => b.runs - a.runs || a.skill.localeCompare(b.skill));
    const fromMs = startHour * 3_600_000;
    return {
      period: query.period,
      skill: query.skill ?? null,
      actor: query.actor ?? null,
      from: new Date(fromMs).toISOString(),
      to: new Date(nowMs).toISOString(),
      totals,
      shares: { success: share(totals.success), degraded: share(totals.degraded), error: share(totals.error), refused: share(totals.refused) },
      durationMs: { p50: p50!, p90: p90!, p99: p99!, mean: totals.runs ? Math.round((durationSum / totals.runs) * 10) / 10 : null },
      series: series(matching, ranked.slice(0, SERIES_SKILLS).map((s) => s.skill), startHour, nowHour),
      perSkill: ranked,
      topErrors: [...errors.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)).slice(0, TOP_ERRORS),
      undos: this.#undos
        .filter((u) => Date.parse(u.time) >= fromMs && (query.skill === undefined || u.skill === query.skill) && (query.actor === undefined || u.actor === query.actor))
        .slice(-UNDOS_SHOWN)
        .reverse(),
      known: { skills: [...skills].sort(), actors: [...actors].sort() },
      log: { records: this.#records, skippedLines: this.#skipped, lastRecordAt: this.#lastRecordAt },
    };
  }

  /** Adds the complete lines of `text`; returns how many were records. */
  #consume(text: string): number {
    let added = 0;
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end < 0) break;
      if (end > start) {
        const line = text.slice(start, end);
        let record: AuditRecord | undefined;
        try {
          record = JSON.parse(line) as AuditRecord;
        } catch {
          record = undefined;
        }
        if (record && typeof record.skill === 'string' && typeof record.time === 'string') {
          this.#add(record);
          added++;
        } else if (line.trim()) this.#skipped++;
      }
      start = end + 1;
    }
    return added;
  }

  #add(record: AuditRecord): void {
    const ms = Date.parse(record.time);
    if (!Number.isFinite(ms)) {
      this.#skipped++;
      return;
    }
    const hour = Math.floor(ms / 3_600_000);
    const actor = typeof record.actor === 'string' ? record.actor : 'unknown';
    const key = `${hour}|${record.skill}|${actor}`;
    let row = this.#rows.get(key);
    if (!row) {
      row = { hour, skill: record.skill, actor, runs: 0, success: 0, degraded: 0, error: 0, refused: 0, dryRuns: 0, undos: 0, durationSum: 0, histogram: {}, errors: {} };
      this.#rows.set(key, row);
    }
    const status = record.outcome?.status ?? 'error';
    const outcome = OUTCOME_OF[status] ?? 'error';
    row.runs++;
    row[outcome]++;
    if (record.dryRun) row.dryRuns++;
    const duration = typeof record.durationMs === 'number' && record.durationMs >= 0 ? record.durationMs : 0;
    row.durationSum += duration;
    const bucket = bucketOf(duration);
    row.histogram[bucket] = (row.histogram[bucket] ?? 0) + 1;
    if (outcome === 'error' || outcome === 'refused') {
      const code = record.outcome?.errorCode ?? (outcome === 'refused' ? 'REFUSED' : 'UNKNOWN');
      row.errors[code] = (row.errors[code] ?? 0) + 1;
    }
    if (typeof record.undoOf === 'string') {
      row.undos++;
      this.#undos.push({ id: record.id, time: record.time, skill: record.skill, actor, status, undoOf: record.undoOf });
      if (this.#undos.length > UNDOS_KEPT * 2) this.#undos = this.#undos.slice(-UNDOS_KEPT);
    }
    if (record.skill === 'vector-benchmark' && !record.dryRun) {
      const input = (record.input ?? {}) as Record<string, unknown>;
      const collection = typeof input['collection'] === 'string' ? input['collection'] : '';
      this.#benchmarks[collection] = { id: record.id, time: record.time, status, durationMs: duration, actor, input };
    }
    this.#records++;
    if (this.#lastRecordAt === null || record.time > this.#lastRecordAt) this.#lastRecordAt = record.time;
  }

  #reset(): void {
    this.#rows = new Map();
    this.#offset = 0;
    this.#ino = 0;
    this.#records = 0;
    this.#skipped = 0;
    this.#lastRecordAt = null;
    this.#undos = [];
    this.#benchmarks = {};
  }

  /** Starts from the saved rollup when it is ours and readable; anything else starts from scratch. */
  #load(): void {
    if (!existsSync(this.#rollupFile)) return;
    try {
      const stored = JSON.parse(readFileSync(this.#rollupFile, 'utf8')) as StoredRollup;
      if (stored.version !== ROLLUP_VERSION || stored.file !== this.#logFile || !Array.isArray(stored.rows)) return;
      if (!existsSync(this.#logFile) || statSync(this.#logFile).ino !== stored.ino) return;
      for (const r of stored.rows) {
        const [hour, skill, actor, runs, success, degraded, error, refused, dryRuns, undos, durationSum, histogram, errors] = r;
        this.#rows.set(`${hour}|${skill}|${actor}`, { hour, skill, actor, runs, success, degraded, error, refused, dryRuns, undos, durationSum, histogram, errors });
      }
      this.#ino = stored.ino;
      this.#offset = stored.offset;
      this.#records = stored.records;
      this.#skipped = stored.skippedLines;
      this.#lastRecordAt = stored.lastRecordAt;
      this.#undos = stored.undos ?? [];
      this.#benchmarks = stored.benchmarks ?? {};
      this.#savedAt = Date.now();
    } catch {
      this.#reset(); // a damaged rollup is rebuilt from the log
    }
  }
}

/** Runs per bucket (hours up to two days, else days) for the named skills and `other`. */
function series(rows: readonly Row[], named: readonly string[], startHour: number, endHour: number): SkillAnalytics['series'] {
  const daily = endHour - startHour + 1 > 48;
  const step = daily ? 24 : 1;
  const first = daily ? Math.floor(startHour / 24) * 24 : startHour;
  const points = Math.max(1, Math.floor((endHour - first) / step) + 1);
  const times = Array.from({ length: points }, (_, i) => new Date((first + i * step) * 3_600_000).toISOString());
  const lines = new Map<string, number[]>(named.map((s) => [s, new Array<number>(points).fill(0)]));
  const other = new Array<number>(points).fill(0);
  for (const row of rows) {
    const i = Math.floor((row.hour - first) / step);
    if (i < 0 || i >= points) continue;
    (lines.get(row.skill) ?? other)[i]! += row.runs;
  }
  const skills = [...lines.entries()].map(([skill, runs]) => ({ skill, runs }));
  if (other.some((n) => n > 0)) skills.push({ skill: 'other', runs: other });
  return { bucket: daily ? 'day' : 'hour', times, skills };
}
