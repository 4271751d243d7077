import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createStaticTopology, createTopologyProvider, ensureStateSubdir, InputError, redactSecrets, type LoadedConfig, type TopologyProvider } from '@pgcluster/core';
import type { Actor, OutcomeSummary, Risk, RollbackSpec, SkillLogger, Status } from '../skill/skill-meta';
import { summariseAuditInput } from './audit-input';
import { openAuditTable, type AuditTable } from './audit-table';
import { newAuditId } from './new-audit-id';

/**
 * One audited run, as stored in `audit.jsonl` and `pgcluster.audit_log`.
 * @example
 * ```json
 * { "id": "01jz3q5t7w4k2m9xyz", "time": "2026-05-20T10:00:00.000Z", "skill": "cluster-scale", "risk": "write", "actor": "agent",
 *   "input": { "direction": "up" }, "dryRun": false, "outcome": { "status": "ok" }, "durationMs": 812,
 *   "rollback": { "skill": "cluster-scale", "input": { "direction": "down" }, "why": "scale back down" } }
 * ```
 */
export interface AuditRecord {
  /** Sortable by time, see {@link newAuditId}. */
  id: string;
  /** ISO 8601, when the run started. */
  time: string;
  skill: string;
  /** The skill's risk; a `read` run is recorded in the file only, never in the table. */
  risk?: Risk;
  actor: Actor;
  /**
   * The input as the skill's schema says to record it (see `summariseAuditInput`): secrets
   * marked in the schema as `***`, large arrays as `{ count, sha256 }`, files as
   * `{ path, size, sha256 }`; passwords inside URLs redacted. An input whose JSON is still over
   * {@link MAX_AUDIT_INPUT_BYTES} is recorded as `{ oversized: { bytes, sha256 } }`.
   */
  input: unknown;
  dryRun: boolean;
  /** How the run ended; `summary` is the skill's short account of what it did (`SkillResult.outcome`), bounded by {@link boundedSummary}. */
  outcome: { status: Status; errorCode?: string; summary?: OutcomeSummary };
  durationMs: number;
  /** How to undo the run, when the skill said (secrets redacted too). */
  rollback?: RollbackSpec;
  /** The id of the record this run undid (`pgcluster audit undo`). */
  undoOf?: string;
  /** A workflow run (its `skill` is `workflow <name>`): its steps' audit ids, the skipped steps, the rollbacks offered. */
  workflow?: WorkflowAudit;
}

/**
 * What the audit record of a workflow run adds: every step with its status and audit id, the
 * steps skipped by their `when`, and on failure the rollbacks offered (newest first).
 * @example
 * ```json
 * { "steps": [{ "name": "status", "skill": "cluster-status", "status": "ran", "auditId": "01jz…" }], "skipped": ["backup"], "rollbacks": [] }
 * ```
 */
export interface WorkflowAudit {
  steps: { name: string; skill: string; status: string; auditId?: string }[];
  skipped: string[];
  rollbacks: (RollbackSpec & { step: string; auditId?: string })[];
}

/** What {@link AuditLog.append} takes: a record without id and time (they are made). */
export type AuditEntry = Omit<AuditRecord, 'id' | 'time'> & { id?: string; time?: string };

/** Where an {@link AuditLog} writes. */
export interface AuditLogConfig {
  /** The absolute state dir; records go to `<stateDir>/audit/audit.jsonl`. */
  stateDir: string;
  /** The cluster's nodes; the primary among them also gets a row in `pgcluster.audit_log`. */
  nodes?: readonly { name: string; url: string }[];
  /** Finds that primary instead of `nodes` (static or Patroni); see `createTopologyProvider`. */
  topology?: TopologyProvider;
  /** The table write gives up after this long; default 2,000 ms. */
  databaseTimeoutMs?: number;
  /** Diagnostics (table failures are debug lines); default: silent. */
  log?: SkillLogger;
}

/** Options of {@link AuditLog.list}. */
export interface AuditListOptions {
  /** At most this many, newest first; default 20. */
  limit?: number;
  /** Only this skill's records. */
  skill?: string;
}

/** The most bytes of input JSON one record keeps; larger inputs are recorded as their size and sha256. */
export const MAX_AUDIT_INPUT_BYTES = 16_384;

/** The most entries an outcome summary keeps; and the longest string value (longer ones end with …). */
export const MAX_OUTCOME_SUMMARY_KEYS = 16;
const MAX_SUMMARY_STRING = 300;
const SUMMARY_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * An outcome summary as an audit record keeps it: at most {@link MAX_OUTCOME_SUMMARY_KEYS}
 * entries with plain keys, finite numbers, booleans and strings of at most 300 characters (URL
 * passwords redacted); anything else is left out. Undefined when nothing is left.
 * @example boundedSummary({ kept: 2, reverted: 0, note: 'x'.repeat(400) }) // { kept: 2, reverted: 0, note: 'xxx…' }
 */
export function boundedSummary(summary: unknown): OutcomeSummary | undefined {
  if (summary === null || typeof summary !== 'object' || Array.isArray(summary)) return undefined;
  const kept: OutcomeSummary = {};
  for (const [key, value] of Object.entries(summary)) {
    if (Object.keys(kept).length >= MAX_OUTCOME_SUMMARY_KEYS) break;
    if (!SUMMARY_KEY.test(key)) continue;
    if (typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) kept[key] = value;
    else if (typeof value === 'string') {
      // Security: a URL with a password in a summary is redacted like the input.
      const text = redactSecrets(value);
      kept[key] = text.length > MAX_SUMMARY_STRING ? `${text.slice(0, MAX_SUMMARY_STRING - 1)}…` : text;
    }
  }
  return Object.keys(kept).length > 0 ? kept : undefined;
}

const SILENT: SkillLogger = { info: () => undefined, warn: () => undefined, debug: () => undefined };

/**
 * The append-only audit log: one JSON line per run in `<stateDir>/audit/audit.jsonl`
 * (folder mode 700, file 600), and best-effort a row in `pgcluster.audit_log` on the
 * primary when the cluster is writable — for write and destructive runs only: a read-only
 * run costs no write on the primary. Inputs are redacted before anything is written.
 *
 * @example
 * ```ts
 * const audit = AuditLog.fromConfig(loadConfig())
 * for (const r of audit.list({ limit: 5 })) console.error(r.id, r.skill, r.outcome.status)
 * const record = audit.get('01jz3q5t') // a unique prefix is enough
 * ```
 */
export class AuditLog {
  /** The JSON lines file. */
  readonly file: string;
  readonly #config: AuditLogConfig;
  #table: AuditTable | undefined;

  constructor(config: AuditLogConfig) {
    this.#config = config;
    this.file = join(config.stateDir, 'audit', 'audit.jsonl');
  }

  /**
   * The audit log of a loaded configuration (its state dir and static nodes).
   * @param topology where the primary is found instead of the config's own provider (the executor passes the run's, shared with the skill).
   * @example AuditLog.fromConfig(loadConfig(), log)
   */
  static fromConfig(loaded: LoadedConfig, log?: SkillLogger, shared?: TopologyProvider): AuditLog {
    let topology: TopologyProvider | undefined = shared;
    try {
      topology ??= createTopologyProvider(loaded.config);
    } catch {
      topology = undefined; // Patroni without member credentials: the record stays in the file
    }
    return new AuditLog({ stateDir: loaded.stateDir, ...(topology ? { topology } : {}), ...(log ? { log } : {}) });
  }

  /**
   * Starts connecting to the audit table now (when the config has nodes or a topology and the
   * run is not read-only), so that the next {@link append} costs one INSERT instead of a round
   * of connections. The executor calls it before a skill runs.
   * @param risk the risk of the run about to be appended; `read` connects nothing.
   * @example audit.connect('write'); await run(); await audit.append(entry)
   */
  connect(risk?: Risk): void {
    if (risk === 'read' || this.#table) return;
    const nodes = this.#config.nodes;
    const topology = this.#config.topology ?? (nodes?.length ? createStaticTopology({ nodes }) : undefined);
    if (!topology) return;
    this.#table = openAuditTable({ topology, timeoutMs: this.#config.databaseTimeoutMs ?? 2_000, log: this.#config.log ?? SILENT });
  }

  /**
   * Appends one record: redacts it, writes its line (throws when the file cannot be
   * written), then, unless the run was `read`, tries the table (never throws; a dry run never
   * creates the table). The input should already be summarised by its schema
   * (`summariseAuditInput`, as the executor does); here only URL passwords are redacted and an
   * oversized input is cut down to its size and sha256.
   * @returns the record as stored.
   */
  async append(entry: AuditEntry): Promise<AuditRecord> {
    // Security: secrets in the input (or the rollback's input) never reach the file or the table.
    const record: AuditRecord = {
      id: entry.id ?? newAuditId(),
      time: entry.time ?? new Date().toISOString(),
      skill: entry.skill,
      ...(entry.risk ? { risk: entry.risk } : {}),
      actor: entry.actor,
      input: boundedInput(await summariseAuditInput(undefined, entry.input ?? {})),
      dryRun: entry.dryRun,
      outcome: outcomeOf(entry.outcome),
      durationMs: entry.durationMs,
      ...(entry.rollback ? { rollback: redactSecrets(entry.rollback) } : {}),
      ...(entry.undoOf ? { undoOf: entry.undoOf } : {}),
      ...(entry.workflow ? { workflow: redactSecrets(entry.workflow) } : {}),
    };
    // Security: the folder (700) and the file (600) are private: records name hosts, tables, users.
    const dir = ensureStateSubdir(this.#config.stateDir, 'audit');
    tightenMode(dir, 0o700);
    appendFileSync(this.file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    tightenMode(this.file, 0o600);
    // A read-only run is never written on the primary: one write per read would load it (README, "Audit log").
    if (record.risk === 'read') {
      await this.#closeTable();
      return record;
    }
    this.connect();
    const table = this.#table;
    this.#table = undefined;
    const node = await table?.write(record, !record.dryRun);
    if (node) (this.#config.log ?? SILENT).debug(`audit record ${record.id} also written to ${node}`);
    return record;
  }

  /**
   * The newest records first.
   * @example audit.list({ skill: 'cluster-scale', limit: 10 })
   */
  list(options: AuditListOptions = {}): AuditRecord[] {
    const limit = options.limit ?? 20;
    return this.#readAll()
      .filter((r) => options.skill === undefined || r.skill === options.skill)
      .reverse()
      .slice(0, Math.max(0, limit));
  }

  /**
   * The record with this id, or the only one whose id starts with it.
   * @returns undefined when none matches.
   * @throws InputError when the prefix matches several records.
   */
  get(id: string): AuditRecord | undefined {
    const wanted = id.trim().toLowerCase();
    if (!wanted) return undefined;
    const all = this.#readAll();
    const exact = all.find((r) => r.id === wanted);
    if (exact) return exact;
    const matches = all.filter((r) => r.id.startsWith(wanted));
    if (matches.length > 1) {
      throw new InputError('id', `"${id}" matches ${matches.length} audit records; give more of the id`);
    }
    return matches[0];
  }

  async #closeTable(): Promise<void> {
    const table = this.#table;
    this.#table = undefined;
    await table?.close();
  }

  /** Every record in file order; a torn or foreign line is skipped, never fatal. */
  #readAll(): AuditRecord[] {
    if (!existsSync(this.file)) return [];
    const records: AuditRecord[] = [];
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const value = JSON.parse(line) as AuditRecord;
        if (typeof value?.id === 'string' && typeof value.skill === 'string') records.push(value);
      } catch {
        this.#config.log?.debug(`skipping an unreadable line in ${this.file}`);
      }
    }
    return records;
  }
}

/** The input itself, or its size and sha256 when its JSON is over {@link MAX_AUDIT_INPUT_BYTES}. */
function boundedInput(input: unknown): unknown {
  const json = JSON.stringify(input) ?? 'null';
  const bytes = Buffer.byteLength(json);
  if (bytes <= MAX_AUDIT_INPUT_BYTES) return input;
  return { oversized: { bytes, sha256: createHash('sha256').update(json).digest('hex') } };
}

/** Sets the mode of a file we own; one created earlier, or by someone else, is left alone. */
function tightenMode(path: string, mode: number): void {
  try {
    chmodSync(path, mode);
  } catch {
    // Not ours to change: the records are still written.
  }
}

function outcomeOf(outcome: AuditRecord['outcome']): AuditRecord['outcome'] {
  const { summary, ...rest } = outcome;
  const bounded = boundedSummary(summary);
  return bounded ? { ...rest, summary: bounded } : rest;
}
