import { randomUUID } from 'node:crypto';
import type { LoadedConfig } from '@pgcluster/core';
import { MonitoringHealthSkill, MonitoringPerformanceSkill, type Finding, type HealthReport, type PerformanceReport } from '@pgcluster/monitoring';
import { ClusterStatusSkill, type ClusterScaleOutput } from '@pgcluster/operations';
import { executeSkill, getSkillMeta, type Envelope, type SkillClass, type SkillLogger, type SkillMeta, type SkillReference, type SkillRegistry } from '@pgcluster/skill-kit';
import { AGENT_MODES, WEEK_DAYS, type AgentMode, type AgentPolicy } from '../policy/agent-policy';
import { readAgentStateFile, writeAgentStateFile, type AgentActionRecord, type AgentStateFile, type OpenFinding } from '../store/agent-state-file';
import { readPause } from '../store/agent-status';
import { appendOutcome, readOutcomes, type AgentDecision, type AgentOutcome, type AgentResult } from '../store/outcome-store';
import { escalate } from './escalate';
import { actionKey, findingKey, remediationsFor } from './remediations';
import { slowStatementFindings } from './slow-statements';

/** What one watch-decide-act round needs. */
export interface AgentRuntime {
  /** The cluster's configuration (its `stateDir` holds the agent's files and the audit log). */
  loaded: LoadedConfig;
  policy: AgentPolicy;
  /** Resolves the skills findings name. */
  registry: SkillRegistry;
  /** Escalations' stderr channel and the agent's own lines. */
  stderr: (line: string) => void;
  /** Diagnostics of the skills it runs. */
  log: SkillLogger;
  /** Stops a running skill when the agent is stopped. */
  signal?: AbortSignal;
}

/** What one round saw and did. */
export interface AgentTickSummary {
  at: string;
  /** monitoring-health's verdict, or `unreachable` when no node answered. */
  status: 'healthy' | 'degraded' | 'critical' | 'unreachable';
  findings: number;
  paused: boolean;
  /** The outcomes this round recorded (their final records). */
  outcomes: AgentOutcome[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * One round of the agent: watch (monitoring-health and cluster-status) → decide for every
 * finding (policy, pause switch, window, rate limits, failures so far) → act through the
 * executor (actor `agent`) → verify (the finding gone and no new critical one) → revert (the
 * envelope's rollback) and escalate when not → record every outcome. An action is marked
 * in-flight in the state file before it runs, so a restarted agent never runs it twice.
 * @example
 * ```ts
 * const summary = await agentTick({ loaded, policy, registry: agentSkillRegistry(), stderr: (l) => process.stderr.write(l), log })
 * ```
 */
export async function agentTick(rt: AgentRuntime): Promise<AgentTickSummary> {
  const { loaded, policy } = rt;
  const stateDir = loaded.stateDir;
  const state = readAgentStateFile(stateDir);
  const recorded = new Map<string, AgentOutcome>();
  const record = (o: AgentOutcome) => {
    appendOutcome(stateDir, o);
    recorded.set(o.id, o);
  };
  const save = () => writeAgentStateFile(stateDir, state);
  const at = new Date().toISOString();
  state.lastTickAt = at;

  if (state.inFlight) await resumeInterrupted(rt, state, record);

  const watched = await watchOrWhy(rt, state);
  let health = watched.report;
  const summary = (status: AgentTickSummary['status'], findings: number): AgentTickSummary => ({
    at,
    status,
    findings,
    paused: readPause(stateDir) !== undefined,
    outcomes: [...recorded.values()],
  });
  if (!health) {
    // The cluster disappeared: tell a person once per outage, and keep looping.
    if (!state.unreachableSince) {
      state.unreachableSince = at;
      const name = loaded.config.name;
      const message = `the cluster did not answer monitoring-health (${watched.why ?? 'no report'}): the agent keeps watching and takes no action until it answers`;
      record(outcome({ check: 'cluster_unreachable', node: name, object: name, severity: 'critical', decision: 'escalated', result: null, detectedAt: at, message }));
      await escalate(policy, { check: 'cluster_unreachable', severity: 'critical', node: name, object: name, value: 0, threshold: 1, message, since: at, tried: [], auditIds: [] }, rt.stderr);
    }
    save();
    return summary('unreachable', 0);
  }
  delete state.unreachableSince;
  // cluster-status is part of the watch (node roles, replication): its verdict goes to the log.
  const status = await run(rt, ClusterStatusSkill, {}, { timeoutMs: rt.policy.watchTimeoutSeconds * 1000 });
  rt.log.debug(`agent: cluster-status ${status.status}, monitoring-health ${health.status} with ${health.findings.length} finding(s)`);

  const previous = state.open ?? {};
  const open: Record<string, OpenFinding> = {};
  for (const f of health.findings) open[findingKey(f)] = previous[findingKey(f)] ?? { detectedAt: at, lastSeenAt: at };
  for (const k of Object.keys(open)) open[k]!.lastSeenAt = at;
  state.open = open;
  save();

  const history = await readOutcomes({ stateDir });
  const ranThisRound = new Set<string>();
  for (const f of health.findings) {
    const key = findingKey(f);
    const tracked = open[key]!;
    // An earlier action of this round may have fixed it already (a terminated session ends several findings).
    if (!health.findings.some((g) => findingKey(g) === key)) continue;
    const d = decide(rt, f, health.findings, state, history, ranThisRound);
    if (d.decision === 'acted') {
      const tried = { actions: [] as SkillReference[], auditIds: [] as string[] };
      for (const [i, action] of d.actions.entries()) {
        // A pause that arrives between two remediations stops the next one too.
        if (i > 0 && (readPause(stateDir) || !gateOpen(rt, f, action, state, ranThisRound))) break;
        ranThisRound.add(actionKey(action));
        const last = i === d.actions.length - 1;
        const done = await act(rt, f, action, tracked, state, health, record, last, tried);
        if (done.latest) health = done.latest;
        if (!done.tryNext) break;
      }
      continue;
    }
    if (d.silent) continue;
    const label = `${d.decision}:${d.reason}`;
    if (tracked.lastDecision === label) continue;
    tracked.lastDecision = label;
    const message = `${f.message}; ${d.reason}`;
    record(outcome({ check: f.check, node: f.node, object: f.object, severity: f.severity, action: d.action, decision: d.decision, result: null, detectedAt: tracked.detectedAt, message, reason: d.reason }));
    if (d.decision === 'escalated' && !tracked.escalatedAt) {
      tracked.escalatedAt = new Date().toISOString();
      await escalate(policy, { ...escalationOf(f, tracked), message, tried: d.action ? [d.action] : [], auditIds: [] }, rt.stderr);
    }
    save();
  }
  save();
  return summary(health.status, health.findings.length);
}

interface Decision {
  decision: AgentDecision;
  action: SkillReference | null;
  /** For `acted`: the remediations the policy lets it run now, best first (the next is tried when one cannot run). */
  actions: SkillReference[];
  reason: string;
  /** Nothing to record (the same action already ran this round). */
  silent?: boolean;
}

function decide(rt: AgentRuntime, f: Finding, findings: readonly Finding[], state: AgentStateFile, history: readonly AgentOutcome[], ranThisRound: ReadonlySet<string>): Decision {
  const { policy, registry } = rt;
  if (policy.observeOnly.includes(f.check)) return { decision: 'observed', action: null, actions: [], reason: `the policy says ${f.check} is observed only` };
  // A lost primary is fixed by promoting a replica: the cluster-wide no_primary finding carries
  // that failover (and verifies it: a primary answers again). The dead node itself stays down
  // after any failover, so it goes to a person instead of failing over a second time.
  if (f.check === 'node_down' && f.recommendation.skill === 'cluster-failover' && findings.some((g) => g.check === 'no_primary')) {
    return { decision: 'escalated', action: f.recommendation, actions: [], reason: `the failover belongs to the no_primary finding; ${f.object} itself needs a person (rejoin or re-clone it)` };
  }
  const tree = getSkillMeta(MonitoringHealthSkill).decisionTree ?? [];
  const ranked = remediationsFor(f, policy, history, tree).filter((r) => registry.resolve(r.action.skill) !== undefined && !r.action.planned);
  const triable = ranked.filter((r) => r.failuresHere < policy.maxFailuresPerObject);
  const remedial = triable.filter((r) => metaOf(registry, r.action.skill).risk !== 'read').map((r) => r.action);
  if (remedial.length === 0) {
    const exhausted = ranked.length > 0 && triable.length === 0;
    const reason = exhausted
      ? `every remediation already failed ${policy.maxFailuresPerObject} times on ${f.object}: a person must look`
      : 'no skill fixes it unattended: a person must act';
    const action = ranked[0]?.action ?? f.recommendation;
    return { decision: f.severity === 'critical' || exhausted ? 'escalated' : 'observed', action, actions: [], reason };
  }
  const gates = remedial.map((action) => ({ action, gate: gate(rt, f, action, state, ranThisRound) }));
  const open = gates.filter((g) => g.gate === undefined).map((g) => g.action);
  if (open.length > 0) return { decision: 'acted', action: open[0]!, actions: open, reason: 'the policy allows it' };
  const first = gates[0]!;
  return { ...first.gate!, action: first.action, actions: [] };
}

/** Why the policy does not let the agent run this action now, or undefined when it may. */
function gate(rt: AgentRuntime, f: Finding, action: SkillReference, state: AgentStateFile, ranThisRound: ReadonlySet<string>): Omit<Decision, 'action' | 'actions'> | undefined {
  const { policy, registry } = rt;
  const meta = metaOf(registry, action.skill);
  if (policy.mode === 'observe') return { decision: 'observed', reason: 'the policy mode is observe' };
  const allowed = minMode(policy.mode, policy.autonomy.skills[action.skill] ?? policy.autonomy.risk[meta.risk]);
  if (allowed === 'observe') return { decision: 'observed', reason: `the policy lets the agent only observe for ${action.skill}` };
  if (allowed === 'recommend') return { decision: 'recommended', reason: `the policy lets the agent only recommend ${action.skill}` };
  const approved = policy.approve.includes(action.skill);
  if (!approved && (policy.needsPerson.skills.includes(action.skill) || policy.needsPerson.risks.includes(meta.risk) || meta.requiresConfirmation)) {
    return { decision: 'escalated', reason: `${action.skill} (${meta.risk}) needs a person's confirmation under the policy` };
  }
  if (!inMaintenanceWindow(policy, new Date())) return { decision: 'recommended', reason: 'outside the maintenance windows' };
  const key = actionKey(action);
  if (ranThisRound.has(key)) return { decision: 'skipped', reason: 'the same action already ran this round', silent: true };
  // Security: the off switch is re-read before every action, not only once per round.
  if (readPause(rt.loaded.stateDir)) return { decision: 'skipped', reason: 'a person paused the agent' };
  const now = Date.now();
  const lastHour = state.actions.filter((a) => now - Date.parse(a.at) < HOUR_MS).length;
  if (lastHour >= policy.rateLimit.maxActionsPerHour) {
    return { decision: 'skipped', reason: `rate limit: ${lastHour} actions in the last hour (at most ${policy.rateLimit.maxActionsPerHour})` };
  }
  const cooldownMs = policy.rateLimit.sameActionCooldownMinutes * 60_000;
  const same = state.actions.find((a) => a.key === key && a.object === f.object && now - Date.parse(a.at) < cooldownMs);
  if (same) return { decision: 'skipped', reason: `the same action ran on ${f.object} at ${same.at} (cooldown ${policy.rateLimit.sameActionCooldownMinutes} min)` };
  return undefined;
}

function gateOpen(rt: AgentRuntime, f: Finding, action: SkillReference, state: AgentStateFile, ranThisRound: ReadonlySet<string>): boolean {
  return gate(rt, f, action, state, ranThisRound) === undefined;
}

/** Failures where the input did not fit (nothing ran): the next remediation is tried at once. A refusal is not one: it waits for a person. */
const NOTHING_RAN = new Set(['INVALID_INPUT', 'NOT_SUPPORTED']);

async function act(
  rt: AgentRuntime,
  f: Finding,
  action: SkillReference,
  tracked: OpenFinding,
  state: AgentStateFile,
  before: HealthReport,
  record: (o: AgentOutcome) => void,
  last: boolean,
  tried: { actions: SkillReference[]; auditIds: string[] },
): Promise<{ latest?: HealthReport; tryNext: boolean }> {
  const { loaded, policy, registry } = rt;
  const id = randomUUID();
  const marker: AgentActionRecord = { outcomeId: id, key: actionKey(action), check: f.check, node: f.node, object: f.object, action, at: new Date().toISOString() };
  // The in-flight marker is on disk before the action runs: a restart finds it and never runs it again.
  state.inFlight = marker;
  state.actions = [...state.actions.filter((a) => Date.now() - Date.parse(a.at) < DAY_MS), marker];
  writeAgentStateFile(loaded.stateDir, state);
  const base = { id, check: f.check, node: f.node, object: f.object, severity: f.severity, action, decision: 'acted' as const, detectedAt: tracked.detectedAt };
  record(outcome({ ...base, result: 'pending', message: `running ${action.skill} for ${f.check} on ${f.object}` }));

  const envelope = await run(rt, registry.resolve(action.skill)!, action.input);
  const auditIds = envelope.auditId ? [envelope.auditId] : [];
  let result: AgentResult;
  let message: string;
  let latest: HealthReport | undefined;
  let recoveredAt: string | undefined;
  if (!envelope.ok) {
    result = 'failed';
    message = `${action.skill} did not run for ${f.check} on ${f.object}: ${envelope.error?.code ?? envelope.status}: ${envelope.error?.message ?? ''}`.trim();
  } else {
    const measured = measuredVerdict(action, envelope, policy);
    const verdict: { ok: boolean; why: string; latest?: HealthReport } = measured ?? (await verify(rt, f, before, state));
    latest = verdict.latest;
    // What the skill itself said (e.g. "an old transaction still needs the dead rows") tells the person why.
    if (!verdict.ok && envelope.alerts.length) verdict.why = `${verdict.why}; ${action.skill} said: ${envelope.alerts.slice(0, 3).join('; ')}`;
    if (verdict.ok) {
      result = 'verified';
      recoveredAt = new Date().toISOString();
      message = `${action.skill} fixed ${f.check} on ${f.object} (verified: ${measured ? measured.why : 'the finding is gone and nothing got worse'})`;
    } else if (envelope.rollback) {
      const rollback = envelope.rollback;
      const skill = registry.resolve(rollback.skill);
      const undone = skill
        ? await run(rt, skill, rollback.input, envelope.auditId ? { undoOf: envelope.auditId } : {})
        : undefined;
      if (undone?.auditId) auditIds.push(undone.auditId);
      result = undone?.ok ? 'reverted' : 'failed';
      message = `${action.skill} did not fix ${f.check} on ${f.object} (${verdict.why}); ${undone?.ok ? `reverted with ${rollback.skill}` : `its rollback ${rollback.skill} failed: ${undone?.error?.message ?? 'unknown skill'}`}`;
    } else {
      result = 'escalated';
      message = `${action.skill} did not fix ${f.check} on ${f.object} (${verdict.why}); it has no rollback`;
    }
  }
  const final = outcome({
    ...base,
    result,
    auditIds,
    message,
    ...(recoveredAt ? { recoveredAt, recoverSeconds: (Date.parse(recoveredAt) - Date.parse(tracked.detectedAt)) / 1000 } : {}),
  });
  record(final);
  const tryNext = result === 'failed' && !envelope.ok && NOTHING_RAN.has(envelope.error?.code ?? '') && !last;
  tried.actions.push(action);
  tried.auditIds.push(...auditIds);
  if (result !== 'verified' && !tryNext) {
    tracked.escalatedAt = new Date().toISOString();
    tracked.lastDecision = `acted:${result}`;
    await escalate(policy, { ...escalationOf(f, tracked), message, tried: tried.actions, auditIds: tried.auditIds }, rt.stderr);
  }
  delete state.inFlight;
  writeAgentStateFile(loaded.stateDir, state);
  return { ...(latest ? { latest } : {}), tryNext };
}

/** Re-runs the watch until the finding is gone with no new critical finding, or the attempts run out. */
async function verify(rt: AgentRuntime, f: Finding, before: HealthReport, state: AgentStateFile): Promise<{ ok: boolean; why: string; latest?: HealthReport }> {
  const key = findingKey(f);
  const known = new Set(before.findings.map(findingKey));
  let why = 'the cluster did not answer the re-check';
  let latest: HealthReport | undefined;
  for (let attempt = 1; attempt <= rt.policy.verify.attempts; attempt += 1) {
    await sleep(rt.policy.verify.delaySeconds * 1000, rt.signal);
    const report = await watch(rt, state);
    if (!report) continue;
    latest = report;
    const still = report.findings.some((g) => findingKey(g) === key);
    const worse = report.findings.filter((g) => g.severity === 'critical' && !known.has(findingKey(g)));
    if (!still && worse.length === 0) return { ok: true, why: 'verified', latest };
    why = still ? `${f.check} is still reported on ${f.object}` : `a new critical finding appeared: ${worse.map((g) => `${g.check} on ${g.object}`).join(', ')}`;
  }
  return { ok: false, why, ...(latest ? { latest } : {}) };
}

/** An action the agent was running when it stopped: never run again; its finding is re-checked. */
async function resumeInterrupted(rt: AgentRuntime, state: AgentStateFile, record: (o: AgentOutcome) => void): Promise<void> {
  const marker = state.inFlight!;
  const report = await watch(rt, state);
  const detectedAt = state.open?.[`${marker.check}|${marker.node}|${marker.object}`]?.detectedAt ?? marker.at;
  const gone = report !== undefined && !report.findings.some((g) => findingKey(g) === `${marker.check}|${marker.node}|${marker.object}`);
  const now = new Date().toISOString();
  const base = { id: marker.outcomeId, check: marker.check, node: marker.node, object: marker.object, severity: 'warning' as const, action: marker.action, decision: 'acted' as const, detectedAt };
  if (gone) {
    record(outcome({ ...base, result: 'verified', recoveredAt: now, recoverSeconds: (Date.parse(now) - Date.parse(detectedAt)) / 1000, message: `the agent stopped while running ${marker.action.skill}; after its restart ${marker.check} on ${marker.object} is gone (not run again)` }));
  } else {
    const message = `the agent stopped while running ${marker.action.skill} for ${marker.check} on ${marker.object}; it is not run again: a person must check what it did`;
    record(outcome({ ...base, result: 'escalated', message }));
    await escalate(rt.policy, { check: marker.check, severity: 'warning', node: marker.node, object: marker.object, value: 0, threshold: 0, message, since: detectedAt, tried: [marker.action], auditIds: [] }, rt.stderr);
  }
  delete state.inFlight;
  writeAgentStateFile(rt.loaded.stateDir, state);
}

async function watch(rt: AgentRuntime, state: AgentStateFile): Promise<HealthReport | undefined> {
  return (await watchOrWhy(rt, state)).report;
}

/**
 * A remediation that measures its own effect: maintenance-optimize --apply keeps an index only
 * when the statement got faster, so keeping none means it did not help (a short re-watch window
 * would see too few calls to judge). cluster-scale growing PgBouncer's pools fails here when the
 * pool did not grow (already at the bound) or ended above the policy's maxPoolSize (a
 * `--direction up` the agent could not bound beforehand); when it grew, the re-watch judges.
 * Undefined for every other action (the re-watch judges).
 */
function measuredVerdict(action: SkillReference, envelope: Envelope, policy: AgentPolicy): { ok: boolean; why: string } | undefined {
  if (action.skill === 'cluster-scale') {
    const sizes = (envelope.data as Partial<ClusterScaleOutput> | undefined)?.pgbouncer;
    const grows = typeof action.input['size'] === 'number' || action.input['direction'] === 'up';
    if (!sizes || !grows) return undefined;
    const { before, after } = { before: sizes.before.defaultPoolSize, after: sizes.after.defaultPoolSize };
    if (after > policy.maxPoolSize) return { ok: false, why: `cluster-scale set default_pool_size ${after}, above the policy's maxPoolSize ${policy.maxPoolSize}` };
    if (after <= before) return { ok: false, why: `the pool did not grow (default_pool_size ${before} → ${after}; the policy's maxPoolSize is ${policy.maxPoolSize})` };
    return undefined;
  }
  if (action.skill !== 'maintenance-optimize' || action.input['apply'] !== true) return undefined;
  const applied = (envelope.data as { applied?: { index: string; outcome: string; reason: string }[] } | undefined)?.applied ?? [];
  const kept = applied.filter((a) => a.outcome === 'kept');
  if (kept.length > 0) return { ok: true, why: `kept ${kept.map((a) => a.index).join(', ')} (measured faster)` };
  const why = applied.length ? applied.map((a) => `${a.index} ${a.outcome}: ${a.reason}`).join('; ') : 'it found no index worth creating';
  return { ok: false, why: `maintenance-optimize kept no index (${why})` };
}

/**
 * monitoring-health's report with the slow_statement findings of monitoring-performance added,
 * or why there is none (the executor's message: redacted, no stack). A performance watch that
 * fails (pg_stat_statements missing) only loses the slow_statement findings.
 */
async function watchOrWhy(rt: AgentRuntime, state: AgentStateFile): Promise<{ report?: HealthReport; why?: string }> {
  const envelope = await run(rt, MonitoringHealthSkill, { thresholds: rt.policy.thresholds }, { timeoutMs: rt.policy.watchTimeoutSeconds * 1000 });
  if (!envelope.ok || !envelope.data) return { why: envelope.error ? `${envelope.error.code}: ${envelope.error.message}` : `status ${envelope.status}` };
  const report = envelope.data as HealthReport;
  if (!rt.policy.slowStatements.enabled) return { report };
  const performance = await run(rt, MonitoringPerformanceSkill, { top: 20, sampleMs: 0, snapshot: false }, { timeoutMs: rt.policy.watchTimeoutSeconds * 1000 });
  if (!performance.data) {
    rt.log.debug(`agent: no slow_statement watch: ${performance.error?.message ?? performance.status}`);
    return { report };
  }
  return { report: { ...report, findings: [...report.findings, ...slowStatementFindings(performance.data as PerformanceReport, rt.policy, state)] } };
}

function run(rt: AgentRuntime, skill: SkillClass, input: unknown, extra: { undoOf?: string; timeoutMs?: number } = {}): Promise<Envelope> {
  const approve = rt.policy.approve;
  return executeSkill(skill, input, {
    actor: 'agent',
    config: rt.loaded,
    log: rt.log,
    timeoutMs: rt.policy.skillTimeoutSeconds * 1000,
    resolveSkill: rt.registry.resolve,
    // Security: the policy confirms only the skills a person listed in `approve`.
    policy: (meta) => approve.includes(meta.name),
    onInvalidRecommendation: 'drop',
    ...(rt.signal ? { signal: rt.signal } : {}),
    ...extra,
  }) as Promise<Envelope>;
}

function metaOf(registry: SkillRegistry, skill: string): SkillMeta {
  return getSkillMeta(registry.resolve(skill)!);
}

function minMode(a: AgentMode, b: AgentMode): AgentMode {
  return AGENT_MODES[Math.min(AGENT_MODES.indexOf(a), AGENT_MODES.indexOf(b))]!;
}

/**
 * Whether `at` falls in one of the policy's maintenance windows (UTC; a window whose end is
 * before its start runs past midnight). No windows: always.
 * @example inMaintenanceWindow(policy, new Date())
 */
export function inMaintenanceWindow(policy: AgentPolicy, at: Date): boolean {
  if (policy.maintenanceWindows.length === 0) return true;
  const minutes = at.getUTCHours() * 60 + at.getUTCMinutes();
  const day = WEEK_DAYS[at.getUTCDay()]!;
  const yesterday = WEEK_DAYS[(at.getUTCDay() + 6) % 7]!;
  const toMin = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
  return policy.maintenanceWindows.some((w) => {
    const start = toMin(w.start);
    const end = toMin(w.end);
    if (start <= end) return w.days.includes(day) && minutes >= start && minutes < end;
    return (w.days.includes(day) && minutes >= start) || (w.days.includes(yesterday) && minutes < end);
  });
}

function escalationOf(f: Finding, tracked: OpenFinding) {
  return { check: f.check, severity: f.severity, node: f.node, object: f.object, value: f.value, threshold: f.threshold, since: tracked.detectedAt };
}

function outcome(o: Omit<AgentOutcome, 'at' | 'id' | 'auditIds' | 'action'> & { id?: string; auditIds?: string[]; action?: SkillReference | null }): AgentOutcome {
  return { id: o.id ?? randomUUID(), at: new Date().toISOString(), auditIds: [], action: null, ...o } as AgentOutcome;
}

/** Waits, ending early when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
