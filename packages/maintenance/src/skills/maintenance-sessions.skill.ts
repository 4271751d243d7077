import { Skill, type PlanStep, type SkillActions, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { resolveTarget } from '../connection/maintenance-target';
import { actionStatement, controlSessions, preparedTransactionOf, readSessions, selectSessions, type SessionsRequest } from '../sessions/control-sessions';
import { SessionsInput, SessionsReport } from '../sessions/sessions-schema';

/**
 * `maintenance-sessions`: lock chains, sessions idle in a transaction and prepared transactions;
 * cancel or terminate sessions by pid or by rule, roll back a prepared transaction. Terminate and
 * rollback require confirmation (the executor's gate: `--yes`, MCP `confirm` or an approving
 * policy; refused with exit 3 otherwise, nothing done).
 *
 * @example
 * ```ts
 * import { executeSkill } from '@pgcluster/skill-kit'
 * import { MaintenanceSessionsSkill } from '@pgcluster/maintenance'
 *
 * const envelope = await executeSkill(MaintenanceSessionsSkill, { pid: 4242, action: 'terminate' }, { actor: 'cli', yes: true })
 * ```
 */
export class MaintenanceSessionsSkill {
  @Skill({
    name: 'maintenance-sessions',
    category: 'maintenance',
    description:
      'Lists lock chains and sessions idle in a transaction; cancels or terminates sessions by pid or rule. ' +
      'Use when queries wait on locks or a transaction is left open.',
    details:
      'Reads pg_stat_activity (pg_blocking_pids for the chains) and pg_prepared_xacts on the primary, or on --node. ' +
      'Without a pid or a rule it lists the lock chains (root and every waiter) and the sessions idle in a transaction. ' +
      'A rule selects sessions by --state (idle, idle-in-transaction, active) and/or --blocking (roots of a lock chain), each for at ' +
      'least --min-seconds, optionally in one --database; a rule never selects replication, superuser, non-client or pgcluster ' +
      "sessions (they are marked protected) — name such a session by --pid to act on it. cancel sends pg_cancel_backend (the " +
      'statement stops, the session stays); terminate sends pg_terminate_backend and waits up to 5 s for the session to go (its ' +
      'transaction rolls back, its locks are released); rollback runs ROLLBACK PREPARED for --prepared-transaction. Terminate and ' +
      'rollback lose uncommitted work: they need --yes and are refused (exit 3, nothing done) without it. --dry-run shows the pids ' +
      'and the exact statements. Statements in the output have every literal replaced by ?.',
    version: '1.0.0',
    risk: 'write',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: false,
    whenToUse: [
      'monitoring-health reports lock_waits, idle_in_transaction, long_running_query or prepared_transactions findings',
      'queries hang waiting on a lock and the user wants to know who holds it',
      'an application left transactions open (idle in transaction) and the user wants them closed',
    ],
    interpret:
      'data.chains[] = { root, waiting[], longestWaitSeconds }: the root pid holds what the others wait for. data.sessions[] are the ' +
      'sessions concerned (protected ones say why a rule skips them); data.selected the pids the action applied to; data.actions[] ' +
      '= { target, statement, done } (done false: the session had already gone). Exit 0 when it ran, 2 on bad input (the field is ' +
      'named), 3 when terminate or rollback was not confirmed.',
    decisionTree: [
      { when: 'a chain has a root that is idle in a transaction', skill: 'maintenance-sessions', input: { pid: '<pid>', action: 'terminate' }, why: 'with --yes: its uncommitted work is lost' },
      { when: 'a chain has an active root running a long statement', skill: 'maintenance-sessions', input: { pid: '<pid>', action: 'cancel' } },
      { when: 'many sessions are idle in a transaction for long', skill: 'maintenance-sessions', input: { state: 'idle-in-transaction', minSeconds: 600, action: 'terminate' }, why: 'with --yes: their uncommitted work is lost' },
      { when: 'the long statement is slow rather than blocked', skill: 'maintenance-optimize', input: {} },
    ],
    examples: [
      { title: 'Lock chains and idle transactions on the primary', skill: 'maintenance-sessions', input: {} },
      { title: 'Show what terminating the transactions idle for 10 min or more would send', skill: 'maintenance-sessions', input: { state: 'idle-in-transaction', minSeconds: 600, action: 'terminate' }, options: { dryRun: true } },
      { title: 'Terminate the roots of lock chains that blocked others for 60 s or more', skill: 'maintenance-sessions', input: { blocking: true, minSeconds: 60, action: 'terminate' }, options: { yes: true } },
      { title: 'Cancel the statements of every root blocking others for 30 s or more', skill: 'maintenance-sessions', input: { blocking: true, minSeconds: 30, action: 'cancel' } },
    ],
    metrics: [
      { name: 'pgcluster_maintenance_lock_chains', help: 'Lock chains (a root session others wait for) on the node.', value: 'counts.chains' },
      { name: 'pgcluster_maintenance_idle_in_transaction_sessions', help: 'Sessions idle in a transaction on the node.', value: 'counts.idleInTransaction' },
      { name: 'pgcluster_maintenance_signalled_sessions', help: 'Sessions cancelled or terminated (or prepared transactions rolled back) by this run.', value: 'counts.signalled' },
    ],
    input: SessionsInput,
    output: SessionsReport,
  })
  static readonly actions: SkillActions<typeof SessionsInput, SessionsReport> = {
    list: { risk: 'read', plan: planSessions, run: (ctx, input) => runSessions(ctx, input) },
    cancel: { plan: planSessions, run: (ctx, input) => runSessions(ctx, input) },
    // Terminate and rollback lose uncommitted work: the executor's gate asks for --yes, MCP confirm or an approving policy.
    terminate: { requiresConfirmation: true, plan: planSessions, run: (ctx, input) => runSessions(ctx, input) },
    rollback: { requiresConfirmation: true, plan: planSessions, run: (ctx, input) => runSessions(ctx, input) },
  };
}

/** Runs the action; terminate and rollback reach here confirmed (the executor's gate: `ctx.confirmed`). */
async function runSessions(ctx: SkillContext, input: SessionsRequest): Promise<SkillResult<SessionsReport>> {
  const report = await controlSessions(ctx.loaded.config, input, { confirmed: ctx.confirmed === true, signal: ctx.signal, topology: ctx.resources.topology });
  ctx.log.info(`maintenance-sessions: ${report.counts.chains} lock chain(s), ${report.counts.idleInTransaction} idle in transaction, ${report.counts.signalled} signalled`);
  return {
    data: report,
    alerts: report.actions.filter((a) => !a.done).map((a) => `${a.target}: ${a.statement} found nothing to signal (it had already ended)`),
    recommendations: report.chains.map((c) => ({ ...c.recommendation, why: c.recommendation.why ?? `end the lock chain of pid ${c.root}` })),
  };
}

/** The pids the input selects now and the statement each gets (read-only: one look at pg_stat_activity). */
async function planSessions(ctx: SkillContext, input: SessionsRequest): Promise<PlanStep[]> {
  const target = await resolveTarget(ctx.loaded.config, input, 'session control', ctx.signal, ctx.resources.topology);
  const snapshot = await readSessions(target);
  const read: PlanStep = { kind: 'sql', target: target.label, text: 'read pg_stat_activity (with pg_blocking_pids) and pg_prepared_xacts' };
  if (input.action === 'list') return [read];
  if (input.action === 'rollback') {
    const p = preparedTransactionOf(snapshot, input.preparedTransaction, target.node);
    return [read, { kind: 'sql', target: `${target.label} database ${p.database}`, text: `${actionStatement('rollback', p.gid)} -- releases its locks; its changes are lost` }];
  }
  const action = input.action;
  const { selected } = selectSessions(snapshot, input, target.node);
  if (selected.length === 0) return [read, { kind: 'note', target: target.label, text: 'no session matches now; nothing would be signalled' }];
  const effect = action === 'cancel' ? 'the statement is cancelled, the session stays' : 'the session ends, its transaction rolls back and its locks are released';
  return [read, ...selected.map((pid): PlanStep => ({ kind: 'sql', target: target.label, text: `${actionStatement(action, pid)} -- takes no lock; ${effect}` }))];
}
