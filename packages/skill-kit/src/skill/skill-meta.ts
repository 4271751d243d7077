import type { LoadedConfig, TopologyProvider } from '@pgcluster/core';
import type { z } from 'zod';

/** Skill categories; the first part of every skill name. */
export const CATEGORIES = ['operations', 'vector', 'maintenance', 'monitoring', 'security'] as const;
/** One of {@link CATEGORIES}. */
export type Category = (typeof CATEGORIES)[number];

/**
 * The name prefix of each category's skills (the seed ADR names operations skills `cluster-*`).
 * A skill's name is `{prefix}-{action}`, e.g. `cluster-status`, `vector-search`.
 */
export const CATEGORY_PREFIXES: Readonly<Record<Category, string>> = {
  operations: 'cluster',
  vector: 'vector',
  maintenance: 'maintenance',
  monitoring: 'monitoring',
  security: 'security',
};

/** How much a skill can change: read (nothing), write (reversible change), destructive. */
export const RISKS = ['read', 'write', 'destructive'] as const;
/** One of {@link RISKS}. */
export type Risk = (typeof RISKS)[number];

/** Who ran a skill; recorded in the audit log. */
export const ACTORS = ['cli', 'mcp', 'agent', 'library'] as const;
/** One of {@link ACTORS}. */
export type Actor = (typeof ACTORS)[number];

/** The status a skill reports; decides the exit code (see `exitCodeFor`). */
export const STATUSES = ['ok', 'healthy', 'degraded', 'critical', 'planned', 'refused', 'error'] as const;
/** One of {@link STATUSES}. */
export type Status = (typeof STATUSES)[number];

/** Output formats of the CLI. */
export const FORMATS = ['json', 'human', 'prometheus'] as const;
/** One of {@link FORMATS}. */
export type Format = (typeof FORMATS)[number];

/**
 * A typed reference to a skill run: the target skill and an input object that its input schema
 * accepts. Recommendations, decision-tree entries, examples and rollbacks are all references;
 * SKILL.md renders one as a command line (`pgcluster <skill> --flag value …`). Prose belongs in
 * `why` (and a rule's `when`), never in `input`.
 *
 * In a decision tree, a string value `<placeholder>` stands for a value only known at the time
 * (e.g. `{ collection: '<collection>' }`); skillgen checks the rest of the input.
 *
 * @example
 * ```ts
 * const next: SkillReference = { skill: 'vector-index', input: { action: 'rebuild', index: 'public.docs_embedding_idx' }, why: 'the index is invalid' }
 * ```
 */
export interface SkillReference {
  /** The target skill's name, e.g. `vector-index`. */
  skill: string;
  /** The target's input, validated against its input schema (at generation and before emission). */
  input: Record<string, unknown>;
  /** Why to run it, for a person or an agent. */
  why?: string;
  /**
   * The target skill is not built yet: skillgen renders the reference with "(coming)" instead of
   * failing, and the executor keeps it unvalidated. Once the skill exists its input is checked.
   */
  planned?: boolean;
}

/** One branch of a skill's decision tree: when `when` holds, run the referenced skill. */
export interface DecisionRule extends SkillReference {
  when: string;
}

/** Global CLI flags an example shows besides the input (`--format`, `--dry-run`, `--yes`, `--timeout`). */
export interface ExampleOptions {
  format?: Format;
  dryRun?: boolean;
  yes?: boolean;
  /** Milliseconds. */
  timeout?: number;
}

/** Prometheus metric types a skill can declare: a one-shot run's readings are gauges; counters only count since some start. */
export const METRIC_TYPES = ['gauge', 'counter'] as const;
/** One of {@link METRIC_TYPES}. */
export type MetricType = (typeof METRIC_TYPES)[number];

/**
 * One Prometheus family of a skill's `--format prometheus` output, read from the envelope's
 * `data`. Paths are dotted field names; `[]` after a field walks every element of that array
 * (`nodes[].lagBytes`). skillgen checks every declaration against the output schema and the
 * Prometheus conventions (base units with their suffix, `_total` only on counters, no `_count`
 * on a gauge, no state in a label).
 *
 * @example
 * ```ts
 * { name: 'pgcluster_node_latency_seconds', help: 'Round trip of a probe query.', value: 'nodes[].latencyMs', scale: 0.001, labels: { node: 'nodes[].name' } }
 * { name: 'pgcluster_node_up', help: 'Whether the node answered (1) or not (0).', value: 'nodes[].status', equals: 'up', labels: { node: 'nodes[].name' } }
 * { name: 'pgcluster_node_role', help: 'Role of the node: 1 for its role, 0 for the others.', value: 'nodes[].role', states: ['primary', 'replica'], labels: { node: 'nodes[].name' } }
 * ```
 */
export interface MetricSpec {
  /** The family's full name: `pgcluster_<what>_<unit>` in base units (`_seconds`, `_bytes`, `_ratio`). */
  name: string;
  /** The HELP text. */
  help: string;
  /** Default `gauge`. */
  type?: MetricType;
  /** Where the value is in `data`: a number, a boolean (1 or 0), or with `states` or `equals` a string. */
  value: string;
  /** The value is a string: the sample is 1 when it equals this (`equals: 'up'` for `status`), else 0. */
  equals?: string;
  /** Multiplies the value into the base unit: 0.001 for milliseconds → seconds, 0.01 for percent → ratio. */
  scale?: number;
  /** Label name → path of a string or number in `data` (within the same array elements as `value`). */
  labels?: Readonly<Record<string, string>>;
  /**
   * The value is a state: one sample per state (label named after the value's field), 1 for
   * the current one and 0 for the others, so a series keeps its labels when the state changes.
   */
  states?: readonly string[];
}

/** A worked example shown in SKILL.md and `--help`: a reference with a title. */
export interface SkillExample extends SkillReference {
  /** What the example does. */
  title: string;
  options?: ExampleOptions;
}

/**
 * Everything a skill declares about itself. Every field must be a literal in the source:
 * skillgen reads it statically with ts-morph and never runs a skill to document it.
 */
export interface SkillMeta<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** `{prefix}-{action}`, kebab-case, the prefix from {@link CATEGORY_PREFIXES}: `cluster-status`, `vector-search`. */
  name: string;
  category: Category;
  /**
   * Third person, what it does and when to use it. Claude Code lists every installed skill's
   * description in every session, within a budget: skillgen holds it to 200 characters; the rest
   * goes to {@link SkillMeta.details}, `whenToUse` and `interpret` (the SKILL.md body).
   */
  description: string;
  /** The full account of what the skill does (SKILL.md body, `skills show`); not in the listing. */
  details?: string;
  /** Semantic version of the skill's contract. */
  version: string;
  risk: Risk;
  /** The autonomous agent may run it unattended. */
  autonomous: boolean;
  /** Refuses (exit 3) unless `--yes` or an approving policy. */
  requiresConfirmation: boolean;
  /** Running it twice with the same input has the effect of running it once. */
  idempotent: boolean;
  whenToUse: readonly string[];
  /** How to read the result. */
  interpret: string;
  decisionTree: readonly DecisionRule[];
  examples: readonly SkillExample[];
  /**
   * How to write what flags cannot show: file formats, inline rows, how keys are chosen — each
   * with a minimal valid example. Rendered in SKILL.md under "Input formats".
   */
  inputFormats?: readonly string[];
  /** The Prometheus families of `--format prometheus`, read from `data` (see {@link MetricSpec}). */
  metrics?: readonly MetricSpec[];
  /** Zod schema of the input; an exported constant of the package. */
  input: I;
  /** Zod schema of `data` in the envelope; an exported constant of the package. */
  output: O;
}

/** One thing a skill would do: a statement, a command or an HTTP call, on a target. */
export interface PlanStep {
  kind: 'sql' | 'command' | 'http' | 'file' | 'note';
  /** Where it runs: a node name, a file, a URL (never with a password). */
  target: string;
  /** The statement, command line or description. Never contains secrets. */
  text: string;
}

/** How to undo what a run did: a reference to another skill run (through the executor, so audited too). */
export interface RollbackSpec extends SkillReference {
  /** What undoing does, in words. */
  why: string;
}

/**
 * A next step. With `skill`, a {@link SkillReference} (its `input` validated against the target's
 * schema before the envelope carries it); without, something a person does, said in `why`.
 *
 * @example
 * ```ts
 * const r: Recommendation = { why: 'pools are saturated: grow them', skill: 'cluster-scale', input: { direction: 'up' } }
 * ```
 */
export interface Recommendation {
  why: string;
  skill?: string;
  /** The target's input; `{}` when absent. */
  input?: Record<string, unknown>;
  planned?: boolean;
}

/** What a skill's `run` returns; the executor wraps it into an {@link Envelope}. */
export interface SkillResult<O> {
  data: O;
  /** Default `ok`. */
  status?: Status;
  alerts?: string[];
  recommendations?: Recommendation[];
  rollback?: RollbackSpec;
  /**
   * The audit id of an earlier run that this run undid (e.g. a restore found in the restore
   * journal), recorded as the record's `undoOf` so that `audit undo` refuses to undo it twice.
   */
  undoes?: string;
  /**
   * A short, secret-free summary of what the run did, kept in its audit record
   * (`outcome.summary`) so an agent can learn from past runs, e.g. `{ kept: 2, reverted: 1,
   * keptIndexes: 'public.a_idx, public.b_idx' }`. Scalars only; bounded when recorded (see
   * `MAX_OUTCOME_SUMMARY_KEYS`); never put a password or a row's values in it.
   */
  outcome?: OutcomeSummary;
}

/** What {@link SkillResult.outcome} holds: a few named scalars. */
export type OutcomeSummary = Record<string, string | number | boolean>;

/** How far a long run is (an insert, a backup, a restore, a benchmark). */
export interface ProgressUpdate {
  /** What is being done, e.g. `inserting into docs`, `backup app`. */
  label: string;
  /** How much is done, in `unit`. */
  done: number;
  /** The whole, when known: then a percentage and an ETA are shown; `done === total` ends the bar. */
  total?: number;
  unit: 'rows' | 'bytes' | 'queries' | 'steps';
}

/** Writes progress and diagnostics to stderr (never stdout); lines are redacted. */
export interface SkillLogger {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
  /**
   * Reports progress of a long run: a live bar on a terminal, a plain line every few seconds
   * otherwise, shown by default (not only at `PGCLUSTER_LOG=info`). Optional for other loggers.
   */
  progress?(update: ProgressUpdate): void;
}

/**
 * What one run holds, shared by its plan, its run and its audit record, and closed by the
 * executor when the run ends: one topology (roles resolved once, not once per phase) and
 * resources opened once, by whoever needs them first.
 *
 * @example
 * ```ts
 * // in a package's helper: plan and run get the same pools, closed after the run
 * const db = await ctx.resources.use(`vector-db:${database}`, () => openVectorDb({ cluster, provider: ctx.resources.topology }), (db) => db.close())
 * ```
 */
export interface RunResources {
  /**
   * The cluster's topology for this run: a resolution is shared by every caller for a moment
   * (a plan, its run and the audit table do not each resolve the roles), and resolved again
   * after it, so a long write still follows a failover.
   */
  readonly topology: TopologyProvider;
  /**
   * The resource named `key`, opened by `open` the first time it is asked for in this run and
   * closed with `close` when the run ends (the last opened first). A failed open is not kept.
   */
  use<T>(key: string, open: () => Promise<T>, close?: (value: T) => unknown): Promise<T>;
}

/** What a skill receives when it runs. */
export interface SkillContext {
  /** The loaded cluster configuration. */
  loaded: LoadedConfig;
  /** Aborts on timeout or when the caller cancels. */
  signal: AbortSignal;
  actor: Actor;
  log: SkillLogger;
  /**
   * This run is confirmed (`--yes`, MCP `confirm`, or an approving policy at the executor's gate):
   * a step that needs it (deleting a verified backup) may go ahead.
   */
  confirmed?: boolean;
  /** The id this run's audit record will have (absent when the run is not audited). */
  runId?: string;
  /**
   * Live objects of a long-running runtime (the agent, the MCP server) that a skill may act on,
   * by name — e.g. `{ pools }` (a `ClusterPools` that `cluster-scale` resizes). Absent in a
   * one-shot CLI run. Skills check what they find (skill-kit knows no domain types).
   */
  services?: Readonly<Record<string, unknown>>;
  /** This run's shared topology and resources (see {@link RunResources}). */
  resources: RunResources;
}

/** The envelope every skill run returns, from every entry point. */
export interface Envelope<O = unknown> {
  ok: boolean;
  skill: string;
  status: Status;
  data: O | null;
  alerts: string[];
  recommendations: Recommendation[];
  plan?: PlanStep[];
  rollback?: RollbackSpec;
  error?: { code: string; message: string; hint?: string };
  /** The audit record's id, when one was written. */
  auditId?: string;
  durationMs: number;
}

/**
 * A class holding one decorated skill: the static `run` (decorated with `@Skill`), an
 * optional static `plan` (what a run would do; returned by `--dry-run`); or, for a skill with
 * several actions, the static `actions` (decorated with `@Skill`, see `SkillActions`), which
 * the executor dispatches to by the input's `action`.
 */
export interface SkillClass<I = unknown, O = unknown> {
  run?(ctx: SkillContext, input: I): Promise<SkillResult<O>>;
  plan?(ctx: SkillContext, input: I): Promise<PlanStep[]> | PlanStep[];
  readonly actions?: Readonly<Record<string, SkillActionLike<O>>>;
}

/** The shape of one action as the executor sees it (see `SkillAction` for the typed form). */
export interface SkillActionLike<O = unknown> {
  readonly risk?: Risk;
  readonly requiresConfirmation?: boolean;
  readonly autonomous?: boolean;
  readonly timeoutMs?: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each action's input type is its own
  plan?(ctx: SkillContext, input: any): Promise<PlanStep[]> | PlanStep[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each action's input type is its own
  run(ctx: SkillContext, input: any): Promise<SkillResult<O>>;
}
