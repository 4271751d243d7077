import { loadConfig, readerConfig, redactSecrets, redactUrl, RefusedError, type LoadConfigOptions, type LoadedConfig, type TopologyProvider } from '@pgcluster/core';
import { summariseAuditInput } from '../audit/audit-input';
import { AuditLog } from '../audit/audit-log';
import { newAuditId } from '../audit/new-audit-id';
import { createStderrLogger } from '../log/stderr-logger';
import { actionSchemasOf, parseActionInput, type ActionInputSchema } from '../skill/action-input';
import { actionSafety, getSkillMeta } from '../skill/skill';
import type {
  Actor,
  Envelope,
  OutcomeSummary,
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
import { createRunResources, type OwnedRunResources } from './run-resources';
import { describeInputIssues, labelInputError } from './describe-input-issues';
import { toEnvelopeError, type EnvelopeError } from './to-envelope-error';

/**
 * Decides whether a skill that requires confirmation may run without `--yes`. For a skill with
 * several actions, `meta` carries the running action's own `risk`, `requiresConfirmation` and
 * `autonomous` (so a policy approving autonomous, non-destructive runs judges the action).
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
  /**
   * Where the run's roles come from instead of the config's own provider (a long-running
   * runtime's, a test's); the run shares one resolution of it (see `RunResources.topology`).
   */
  topology?: TopologyProvider;
}

/** How read-only skills pick their login; see {@link ExecuteOptions.reader}. */
export const READER_MODES = ['prefer', 'require', 'never'] as const;
/** One of {@link READER_MODES}. */
export type ReaderMode = (typeof READER_MODES)[number];

/** What a run came to, before it is wrapped into an envelope and audited. */
interface Outcome {
  status: Status;
  /** The risk of what ran: the action's, for a skill with several; audited with it. */
  risk?: SkillMeta['risk'];
  input: unknown;
  data?: unknown;
  alerts?: string[];
  recommendations?: Recommendation[];
  plan?: PlanStep[];
  rollback?: RollbackSpec;
  undoes?: string;
  /** The skill's outcome summary (`SkillResult.outcome`), for the audit record only. */
  summary?: OutcomeSummary;
  error?: EnvelopeError;
}

const RUN_STATUSES: readonly Status[] = ['ok', 'healthy', 'degraded', 'critical'];

/**
 * Runs a skill — the only way one runs, from the CLI, the MCP server, the agent or a
 * library: validate the input → load the config → `dryRun` returns the plan → confirmation
 * gate → run with a timeout and an AbortSignal → check the data → audit → envelope. Never
 * throws for a failing skill: failures are the envelope's `error` (`{ code, message, hint }`,
 * never a stack or a secret); see `exitCodeFor`.
 *
 * The plan is built only when it is used: for `dryRun`, for the confirmation gate (a refusal
 * shows it), and before a write runs (its steps logged at debug); a read run never builds it.
 * A skill with several actions (`static actions`, see `SkillActions`) is dispatched by its
 * input's `action`: the input is checked against that action's schema, the gate, the audit
 * record and the policy use that action's safety. Each run gets one {@link RunResources}
 * (`ctx.resources`: one shared topology, resources opened once), closed when the run ends.
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
  // Security: the login the skill connects with, also for the run's shared topology resolution, so
  // a read-only skill run as the least-privilege reader opens no connection as anyone else.
  let login: LoadedConfig | undefined;
  const getLogin = (): LoadedConfig => (login ??= loginFor(meta, getConfig(), options.reader ?? 'prefer', log));
  const resources = createRunResources({ cluster: () => getLogin().config, ...(options.topology ? { topology: options.topology } : {}), log });
  try {
    const auditLog = auditLogOf(options, log, getConfig, resources);
    const runId = auditLog ? newAuditId() : undefined;
    const outcome = await attempt(skillClass as SkillClass, meta, rawInput, { options, log, getLogin, runId, resources, auditLog });
    const durationMs = Math.round(performance.now() - started);
    const auditId = auditLog && (await audit(auditLog, meta, outcome, { id: runId!, time, durationMs, options, log }));
    return envelopeOf<O>(meta.name, outcome, durationMs, auditId);
  } finally {
    await resources.dispose();
  }
}

/** What one attempt needs besides the skill and its input. */
interface AttemptContext {
  options: ExecuteOptions;
  log: SkillLogger;
  /** The configuration the skill connects with (see `loginFor`). */
  getLogin: () => LoadedConfig;
  runId: string | undefined;
  resources: OwnedRunResources;
  auditLog: AuditLog | undefined;
}

async function attempt(skillClass: SkillClass, meta: SkillMeta, rawInput: unknown, run: AttemptContext): Promise<Outcome> {
  const { options, log, getLogin, runId, resources } = run;
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
  const dispatch = dispatchOf(skillClass, meta, rawInput ?? {}, parsed.data);
  const { input, safety } = dispatch;
  // The audit table's connections open while the skill runs, not after it (never for a read-only run).
  run.auditLog?.connect(safety.risk);
  const deadline = createDeadline(meta.name, options.timeoutMs ?? dispatch.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.signal, options.stopWithinMs);
  try {
    const ctx: SkillContext = {
      loaded: getLogin(),
      signal: deadline.signal,
      actor: options.actor ?? 'library',
      log,
      confirmed: options.yes === true,
      resources,
      ...(runId ? { runId } : {}),
      ...(options.services ? { services: options.services } : {}),
    };
    // The plan is built once, and only when something uses it.
    let planning: Promise<PlanStep[]> | undefined;
    const plan = () => (planning ??= deadline.run(() => buildPlan(dispatch, meta, ctx)));
    if (options.dryRun) return { status: 'planned', risk: safety.risk, input, plan: await plan() };
    // Security: the confirmation gate. A skill (or action) that requires it runs only with --yes or an approving policy.
    if (safety.requiresConfirmation && !options.yes) {
      if (!(await approves(options.policy, safety, input, log))) {
        const what = dispatch.action === undefined ? `${meta.name} is a ${safety.risk} skill` : `${meta.name} --action ${dispatch.action} is a ${safety.risk} action`;
        return {
          status: 'refused',
          risk: safety.risk,
          input,
          plan: await plan(),
          error: {
            code: 'REFUSED',
            message: `${what} and requires confirmation; nothing was run`,
            hint: 'Review the plan (shown here, or with --dry-run), then pass --yes to confirm.',
          },
        };
      }
      ctx.confirmed = true; // the approving policy confirmed this run, as --yes would have
    }
    // The plan's statements are for debugging: progress lines stay readable at info.
    if (safety.risk !== 'read') for (const step of await plan()) log.debug(`plan: [${step.kind}] ${step.target}: ${step.text}`);
    // The run is stopped, not just left behind, when the deadline or the caller aborts it.
    const result = await deadline.run(() => dispatch.run(ctx, input));
    return { ...checkResult(result, meta, input, options, log), risk: safety.risk };
  } catch (error) {
    log.debug(`${meta.name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    if (error instanceof RunStopped) return { status: 'error', risk: safety.risk, input, alerts: error.alerts, error: toEnvelopeError(error.reason, meta.name) };
    const failure = toEnvelopeError(labelInputError(error, fields), meta.name);
    // A skill that refuses a step for want of confirmation (RefusedError) changed nothing: exit 3, like the gate.
    // Other refusals (a split brain's REFUSED from the topology) are errors of the cluster's state: exit 2.
    return { status: error instanceof RefusedError ? 'refused' : 'error', risk: safety.risk, input, error: failure };
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

/** What runs: the skill's own run and plan, or those of the input's action, with the safety that applies. */
interface Dispatch {
  input: unknown;
  /** The action's name, for a skill with several. */
  action?: string;
  safety: SkillMeta;
  /** The action's own default timeout. */
  timeoutMs?: number;
  run(ctx: SkillContext, input: unknown): Promise<unknown>;
  plan?(ctx: SkillContext, input: unknown): Promise<PlanStep[]> | PlanStep[];
}

function dispatchOf(skillClass: SkillClass, meta: SkillMeta, rawInput: unknown, parsed: unknown): Dispatch {
  const actions = skillClass.actions;
  if (actions && actionSchemasOf(meta.input)) {
    // The action's own schema: its defaults applied, its required fields present.
    const input = parseActionInput(meta.input as ActionInputSchema, rawInput) as { action: string };
    const action = actions[input.action]!;
    const [own] = actionSafety(meta, { [input.action]: action });
    return {
      input,
      action: input.action,
      safety: { ...meta, risk: own!.risk, requiresConfirmation: own!.requiresConfirmation, autonomous: own!.autonomous },
      ...(own!.timeoutMs !== undefined ? { timeoutMs: own!.timeoutMs } : {}),
      run: (ctx, i) => action.run(ctx, i),
      ...(action.plan ? { plan: (ctx: SkillContext, i: unknown) => action.plan!(ctx, i) } : {}),
    };
  }
  const run = skillClass.run;
  if (typeof run !== 'function') throw new TypeError(`${meta.name} has neither a static run nor static actions`);
  return {
    input: parsed,
    safety: meta,
    run: (ctx, i) => run.call(skillClass, ctx, i),
    ...(skillClass.plan ? { plan: (ctx: SkillContext, i: unknown) => skillClass.plan!.call(skillClass, ctx, i) } : {}),
  };
}

/** The top-level fields of a skill's input object (for flag labels and suggestions). */
function inputFields(meta: SkillMeta): string[] {
  const shape = (meta.input as { shape?: unknown }).shape;
  return shape && typeof shape === 'object' ? Object.keys(shape) : [];
}

async function buildPlan(dispatch: Dispatch, meta: SkillMeta, ctx: SkillContext): Promise<PlanStep[]> {
  const target = ctx.loaded.config.name;
  if (!dispatch.plan) {
    const what = dispatch.action === undefined ? meta.name : `${meta.name} --action ${dispatch.action}`;
    const text = dispatch.safety.risk === 'read' ? `${what} only reads; it changes nothing` : `${what} declares no plan of its steps`;
    return [{ kind: 'note', target, text }];
  }
  const steps = await dispatch.plan(ctx, dispatch.input);
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
  const r = result as { data?: unknown; status?: Status; alerts?: string[]; recommendations?: Recommendation[]; rollback?: RollbackSpec; undoes?: string; outcome?: OutcomeSummary } | null;
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
    ...(r.outcome ? { summary: r.outcome } : {}),
  };
}

/** The audit log of this run: the caller's, or the config's (sharing the run's topology); none with `audit: false` or no config. */
function auditLogOf(options: ExecuteOptions, log: SkillLogger, getConfig: () => LoadedConfig, resources: OwnedRunResources): AuditLog | undefined {
  if (options.audit === false) return undefined;
  if (options.audit) return options.audit;
  try {
    return AuditLog.fromConfig(getConfig(), log, resources.topology);
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
      risk: outcome.risk ?? meta.risk,
      actor: options.actor ?? 'library',
      // Security: recorded as the input schema declares: marked secrets redacted, large arrays and files digested.
      input: await summariseAuditInput(meta.input, outcome.input),
      dryRun: options.dryRun === true,
      outcome: { status: outcome.status, ...(outcome.error ? { errorCode: outcome.error.code } : {}), ...(outcome.summary ? { summary: outcome.summary } : {}) },
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
