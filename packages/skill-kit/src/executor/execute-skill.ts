import { loadConfig, readerConfig, redactSecrets, redactUrl, RefusedError, type LoadConfigOptions, type LoadedConfig } from '@pgcluster/core';
import { summariseAuditInput } from '../audit/audit-input';
import { AuditLog } from '../audit/audit-log';
import { newAuditId } from '../audit/new-audit-id';
import { createStderrLogger } from '../log/stderr-logger';
import { getSkillMeta } from '../skill/skill';
import type {
  Actor,
  Envelope,
  PlanStep,
  Recommendation,
  RollbackSpec,
  SkillClass,
  SkillContext,
  SkillLogger,
  SkillMeta,
  Status,
} from '../skill/skill-meta';
import { checkRecommendations } from './check-recommendations';
import { createDeadline, RunStopped } from './deadline';
import { describeInputIssues, labelInputError } from './describe-input-issues';
import { toEnvelopeError, type EnvelopeError } from './to-envelope-error';

/**
 * Decides whether a skill that requires confirmation may run without `--yes`.
 * @example
 * ```ts
 * const agentPolicy: ConfirmationPolicy = (meta) => meta.autonomous && meta.risk !== 'destructive'
 * ```
 */
export type ConfirmationPolicy = (meta: SkillMeta, input: unknown) => boolean | Promise<boolean>;

export { DEFAULT_STOP_WITHIN_MS } from './deadline';

/** How long a run may take before it is aborted with `TIMEOUT`, unless told otherwise. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * How {@link executeSkill} runs a skill. Every field is optional.
 * @example
 * ```ts
 * const options: ExecuteOptions = { actor: 'cli', dryRun: argv.dryRun, yes: argv.yes, timeoutMs: argv.timeout * 1000 }
 * ```
 */
export interface ExecuteOptions {
  /** Who runs it (recorded in the audit log); default `library`. */
  actor?: Actor;
  /** Build and return the plan; change nothing. */
  dryRun?: boolean;
  /** The user confirmed (`--yes`): a skill that requires confirmation may run. */
  yes?: boolean;
  /** An approving policy (e.g. the agent's): returning true counts as confirmation. */
  policy?: ConfirmationPolicy;
  /** Abort the plan and the run after this long; default {@link DEFAULT_TIMEOUT_MS}. */
  timeoutMs?: number;
  /**
   * The caller's cancellation (a library's AbortSignal, an MCP cancel, the agent, the CLI's
   * SIGINT/SIGTERM); aborting it stops the run with `ABORTED` like a timeout does.
   */
  signal?: AbortSignal;
  /**
   * After a timeout or cancel, how long the run may take to stop (its queries cancelled,
   * its programs sent SIGTERM) before its backends are terminated and programs killed;
   * default {@link DEFAULT_STOP_WITHIN_MS}.
   */
  stopWithinMs?: number;
  /** The configuration; when absent it is loaded (once, after input validation). */
  config?: LoadedConfig;
  /** Where to load the configuration from when `config` is absent. */
  loadConfig?: LoadConfigOptions;
  /** Diagnostics; default stderr, redacted, warnings only unless `PGCLUSTER_LOG=info|debug`. */
  log?: SkillLogger;
  /** Where the run is audited; default the config's {@link AuditLog}; `false` audits nothing. */
  audit?: AuditLog | false;
  /**
   * Finds a skill by name: `undoAudit` needs it to run a recorded rollback, and the run's
   * recommendations are checked against their target's input schema with it.
   */
  resolveSkill?: (name: string) => SkillClass | undefined;
  /**
   * A recommendation its target would refuse: `drop` leaves it out with a warning, `throw` fails
   * the run with INTERNAL. Default `throw` under `NODE_ENV=test` (Jest sets it), else `drop`.
   */
  onInvalidRecommendation?: 'drop' | 'throw';
  /** The audit id this run undoes; set by `undoAudit`. */
  undoOf?: string;
  /** Live runtime objects handed to the skill as {@link SkillContext.services}, e.g. `{ pools }`. */
  services?: Readonly<Record<string, unknown>>;
  /**
   * Whether a read-only skill connects as the config's least-privilege `reader`: `prefer` (the
   * default) when the config names one, `require` refuses a read skill when it does not (the MCP
   * server's read-only mode), `never` keeps the config's own login.
   */
  reader?: ReaderMode;
}

/** How read-only skills pick their login; see {@link ExecuteOptions.reader}. */
export const READER_MODES = ['prefer', 'require', 'never'] as const;
/** One of {@link READER_MODES}. */
export type ReaderMode = (typeof READER_MODES)[number];

/** What a run came to, before it is wrapped into an envelope and audited. */
interface Outcome {
  status: Status;
  input: unknown;
  data?: unknown;
  alerts?: string[];
  recommendations?: Recommendation[];
  plan?: PlanStep[];
  rollback?: RollbackSpec;
  undoes?: string;
  error?: EnvelopeError;
}

const RUN_STATUSES: readonly Status[] = ['ok', 'healthy', 'degraded', 'critical'];

/**
 * Runs a skill — the only way one runs, from the CLI, the MCP server, the agent or a
 * library: validate the input → load the config → build the plan → `dryRun` returns it →
 * confirmation gate → run with a timeout and an AbortSignal → check the data → audit →
 * envelope. Never throws for a failing skill: failures are the envelope's `error`
 * (`{ code, message, hint }`, never a stack or a secret); see `exitCodeFor`.
 *
 * @example
 * ```ts
 * const envelope = await executeSkill(DropTableSkill, { table: 'old_items' }, { actor: 'cli', yes: argv.yes })
 * process.stdout.write(await renderEnvelope(envelope, 'json'))
 * process.exitCode = exitCodeFor(envelope)
 * ```
 */
export async function executeSkill<I, O>(skillClass: SkillClass<I, O>, rawInput: unknown, options: ExecuteOptions = {}): Promise<Envelope<O>> {
  const started = performance.now();
  const time = new Date().toISOString();
  let meta: SkillMeta;
  try {
    meta = getSkillMeta(skillClass);
  } catch (error) {
    const name = (skillClass as { name?: unknown } | null)?.name;
    const label = typeof name === 'string' && name ? name : '(unknown)';
    return envelopeOf<O>(label, { status: 'error', input: rawInput, error: toEnvelopeError(error, label) }, 0, undefined);
  }
  const log = options.log ?? createStderrLogger({ prefix: meta.name });
  let loaded = options.config;
  const getConfig = (): LoadedConfig => (loaded ??= loadConfig(options.loadConfig));

  const auditLog = auditLogOf(options, log, getConfig);
  // The audit table's connections open while the skill runs, not after it (never for a read-only skill).
  auditLog?.connect(meta.risk);
  const runId = auditLog ? newAuditId() : undefined;
  const outcome = await attempt(skillClass as SkillClass, meta, rawInput, options, log, getConfig, runId);
  const durationMs = Math.round(performance.now() - started);
  const auditId = auditLog && (await audit(auditLog, meta, outcome, { id: runId!, time, durationMs, options, log }));
  return envelopeOf<O>(meta.name, outcome, durationMs, auditId);
}

async function attempt(
  skillClass: SkillClass,
  meta: SkillMeta,
  rawInput: unknown,
  options: ExecuteOptions,
  log: SkillLogger,
  getConfig: () => LoadedConfig,
  runId: string | undefined,
): Promise<Outcome> {
  // Security: input is validated before anything else happens; bad input runs nothing.
  const parsed = meta.input.safeParse(rawInput ?? {});
  const fields = inputFields(meta);
  if (!parsed.success) {
    return {
      status: 'error',
      input: rawInput,
      error: {
        code: 'INVALID_INPUT',
        message: describeInputIssues(parsed.error, 'input', { knownFields: fields }).join('; '),
        hint: `Nothing was run. \`pgcluster ${meta.name} --help\` lists every parameter and what it allows.`,
      },
    };
  }
  const input: unknown = parsed.data;
  const deadline = createDeadline(meta.name, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.signal, options.stopWithinMs);
  try {
    const ctx: SkillContext = {
      loaded: loginFor(meta, getConfig(), options.reader ?? 'prefer', log),
      signal: deadline.signal,
      actor: options.actor ?? 'library',
      log,
      confirmed: options.yes === true,
      ...(runId ? { runId } : {}),
      ...(options.services ? { services: options.services } : {}),
    };
    const plan = await deadline.run(() => buildPlan(skillClass, meta, ctx, input));
    if (options.dryRun) return { status: 'planned', input, plan };
    // Security: the confirmation gate. A skill that requires it runs only with --yes or an approving policy.
    if (meta.requiresConfirmation && !options.yes && !(await approves(options.policy, meta, input, log))) {
      return {
        status: 'refused',
        input,
        plan,
        error: {
          code: 'REFUSED',
          message: `${meta.name} is a ${meta.risk} skill and requires confirmation; nothing was run`,
          hint: 'Review the plan (shown here, or with --dry-run), then pass --yes to confirm.',
        },
      };
    }
    // The plan's statements are for debugging: progress lines stay readable at info.
    for (const step of plan) log.debug(`plan: [${step.kind}] ${step.target}: ${step.text}`);
    // The run is stopped, not just left behind, when the deadline or the caller aborts it.
    const result = await deadline.run(() => skillClass.run(ctx, input));
    return checkResult(result, meta, input, options, log);
  } catch (error) {
    log.debug(`${meta.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (error instanceof RunStopped) return { status: 'error', input, alerts: error.alerts, error: toEnvelopeError(error.reason, meta.name) };
    const failure = toEnvelopeError(labelInputError(error, fields), meta.name);
    // A skill that refuses a step for want of confirmation (RefusedError) changed nothing: exit 3, like the gate.
    // Other refusals (a split brain's REFUSED from the topology) are errors of the cluster's state: exit 2.
    return { status: error instanceof RefusedError ? 'refused' : 'error', input, error: failure };
  } finally {
    deadline.dispose();
  }
}

/**
 * Security: the configuration a skill connects with. A read-only skill connects as the config's
 * least-privilege reader, so that the database refuses a write even when a bug would let it try.
 */
function loginFor(meta: SkillMeta, loaded: LoadedConfig, mode: ReaderMode, log: SkillLogger): LoadedConfig {
  if (meta.risk !== 'read' || mode === 'never') return loaded;
  const asReader = readerConfig(loaded);
  if (asReader) {
    log.debug(`${meta.name} only reads: it connects as the least-privilege role ${loaded.config.reader!.user}`);
    return asReader;
  }
  if (mode === 'require') {
    throw new RefusedError(`${meta.name} may only run as a least-privilege reader here, and the configuration names none; nothing was run`, {
      hint: 'Create it with `pgcluster security-reader` (it writes `reader` into the config file, mode 600).',
    });
  }
  log.debug(`${meta.name} only reads, but the configuration names no least-privilege reader: it connects as the configured login`);
  return loaded;
}

/** The top-level fields of a skill's input object (for flag labels and suggestions). */
function inputFields(meta: SkillMeta): string[] {
  const shape = (meta.input as { shape?: unknown }).shape;
  return shape && typeof shape === 'object' ? Object.keys(shape) : [];
}

async function buildPlan(skillClass: SkillClass, meta: SkillMeta, ctx: SkillContext, input: unknown): Promise<PlanStep[]> {
  const target = ctx.loaded.config.name;
  if (!skillClass.plan) {
    const text = meta.risk === 'read' ? `${meta.name} only reads; it changes nothing` : `${meta.name} declares no plan of its steps`;
    return [{ kind: 'note', target, text }];
  }
  const steps = await skillClass.plan(ctx, input);
  // Security: plan steps are printed and audited; a URL's password never gets through.
  return steps.map((s) => ({ kind: s.kind, target: redactUrl(s.target), text: redactUrl(s.text) }));
}

async function approves(policy: ConfirmationPolicy | undefined, meta: SkillMeta, input: unknown, log: SkillLogger): Promise<boolean> {
  if (!policy) return false;
  try {
    return (await policy(meta, input)) === true;
  } catch (error) {
    log.warn(`the confirmation policy failed, so ${meta.name} is not approved: ${(error as Error).message}`);
    return false;
  }
}

/**
 * The data always goes through the output schema: what reaches the caller is exactly what the
 * manifest promises (undeclared fields are stripped), and a mismatch is a bug in the skill.
 */
function checkResult(result: unknown, meta: SkillMeta, input: unknown, options: ExecuteOptions, log: SkillLogger): Outcome {
  const r = result as { data?: unknown; status?: Status; alerts?: string[]; recommendations?: Recommendation[]; rollback?: RollbackSpec; undoes?: string } | null;
  const internal = (message: string): Outcome => ({
    status: 'error',
    input,
    ...(r?.rollback ? { rollback: r.rollback } : {}),
    error: { code: 'INTERNAL', message, hint: 'This is a bug in the skill, not in your input; the action may have happened (see rollback).' },
  });
  if (r === null || typeof r !== 'object' || !('data' in r)) return internal(`${meta.name} returned no { data }: run must return a SkillResult`);
  const status = r.status ?? 'ok';
  if (!RUN_STATUSES.includes(status)) return internal(`${meta.name} returned status "${String(status)}"; a run reports ${RUN_STATUSES.join(', ')}`);
  const checked = meta.output.safeParse(r.data);
  if (!checked.success) {
    return internal(`${meta.name} returned data that breaks its output schema: ${describeInputIssues(checked.error, 'data').join('; ')}`);
  }
  let recommendations: Recommendation[];
  try {
    const onInvalid = options.onInvalidRecommendation ?? (process.env['NODE_ENV'] === 'test' ? 'throw' : 'drop');
    recommendations = checkRecommendations(r.recommendations ?? [], { resolveSkill: options.resolveSkill, onInvalid, log });
  } catch (error) {
    return internal(`${meta.name} emitted an invalid ${(error as Error).message}`);
  }
  return {
    status,
    input,
    data: checked.data,
    alerts: r.alerts ?? [],
    recommendations,
    ...(r.rollback ? { rollback: r.rollback } : {}),
    ...(typeof r.undoes === 'string' ? { undoes: r.undoes } : {}),
  };
}

/** The audit log of this run: the caller's, or the config's; none with `audit: false` or no config. */
function auditLogOf(options: ExecuteOptions, log: SkillLogger, getConfig: () => LoadedConfig): AuditLog | undefined {
  if (options.audit === false) return undefined;
  if (options.audit) return options.audit;
  try {
    return AuditLog.fromConfig(getConfig(), log);
  } catch {
    log.debug('no configuration, so no state dir: this run is not audited');
    return undefined;
  }
}

async function audit(
  auditLog: AuditLog,
  meta: SkillMeta,
  outcome: Outcome,
  run: { id: string; time: string; durationMs: number; options: ExecuteOptions; log: SkillLogger },
): Promise<string | undefined> {
  const { options, log } = run;
  try {
    const record = await auditLog.append({
      id: run.id,
      time: run.time,
      skill: meta.name,
      risk: meta.risk,
      actor: options.actor ?? 'library',
      // Security: recorded as the input schema declares: marked secrets redacted, large arrays and files digested.
      input: await summariseAuditInput(meta.input, outcome.input),
      dryRun: options.dryRun === true,
      outcome: { status: outcome.status, ...(outcome.error ? { errorCode: outcome.error.code } : {}) },
      durationMs: run.durationMs,
      ...(outcome.rollback ? { rollback: outcome.rollback } : {}),
      ...(options.undoOf || outcome.undoes ? { undoOf: options.undoOf ?? outcome.undoes } : {}),
    });
    return record.id;
  } catch (error) {
    log.warn(`could not write the audit record: ${(error as Error).message}`);
    return undefined;
  }
}

function envelopeOf<O>(skill: string, outcome: Outcome, durationMs: number, auditId: string | undefined): Envelope<O> {
  return {
    ok: outcome.status !== 'error' && outcome.status !== 'refused',
    skill,
    status: outcome.status,
    data: (outcome.data ?? null) as O | null,
    alerts: outcome.alerts ?? [],
    recommendations: outcome.recommendations ?? [],
    ...(outcome.plan ? { plan: outcome.plan } : {}),
    ...(outcome.rollback ? { rollback: redactSecrets(outcome.rollback) } : {}),
    ...(outcome.error ? { error: outcome.error } : {}),
    ...(auditId ? { auditId } : {}),
    durationMs,
  };
}
