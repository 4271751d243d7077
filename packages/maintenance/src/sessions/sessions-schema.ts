import { z } from 'zod';
import { actionInput, SkillReferenceSchema, type ActionInput } from '@pgcluster/skill-kit';

/** What maintenance-sessions does; one tuple yields the type, the validator and the CLI choices. */
export const SESSION_ACTIONS = ['list', 'cancel', 'terminate', 'rollback'] as const;
/** One of {@link SESSION_ACTIONS}. */
export type SessionAction = (typeof SESSION_ACTIONS)[number];

/** Session states a rule can select (`idle-in-transaction` covers its aborted form too). */
export const SESSION_STATES = ['idle', 'idle-in-transaction', 'active'] as const;
/** One of {@link SESSION_STATES}. */
export type SessionState = (typeof SESSION_STATES)[number];

const Pid = {
  pid: z.number().int().positive().optional().describe('One session by its server pid: acted on even when it is a protected (replication, superuser, pgcluster) session.'),
};
const Rule = {
  state: z.enum(SESSION_STATES).optional().describe('Rule: sessions in this state (for at least minSeconds).'),
  blocking: z.boolean().optional().describe('Rule: sessions at the root of a lock chain (others waited at least minSeconds for them).'),
  minSeconds: z.number().min(0).max(31_536_000).optional().describe('With state or blocking: for at least this many seconds (in the state, or others waiting); default 0.'),
  database: z.string().min(1).max(63).optional().describe('With a rule: only sessions connected to this database.'),
};
const Node = { node: z.string().min(1).max(63).optional().describe('The node whose sessions to act on; default the primary.') };
const PreparedGid = z.string().min(1).max(200).describe('The gid of a prepared transaction (pg_prepared_xacts).');

/** A pid or a rule, not both; minSeconds only with a rule; `signals` (cancel, terminate) need one of them. */
function pidOrRule(signals: boolean) {
  return (input: { pid?: number | undefined; state?: string | undefined; blocking?: boolean | undefined; minSeconds?: number | undefined }, ctx: z.RefinementCtx) => {
    const rule = input.state !== undefined || input.blocking === true;
    if (input.pid !== undefined && rule) ctx.addIssue({ code: 'custom', path: ['pid'], message: 'give either a pid or a rule (state, blocking), not both' });
    if (input.minSeconds !== undefined && !rule) ctx.addIssue({ code: 'custom', path: ['minSeconds'], message: 'applies to a rule: give state or blocking with it' });
    if (signals && input.pid === undefined && !rule) ctx.addIssue({ code: 'custom', path: ['pid'], message: 'is required (or a rule: state, blocking): a session is never chosen by default' });
  };
}

/**
 * Input of maintenance-sessions, per action: list (optionally one session by `pid`, a rule, or
 * one prepared transaction), cancel or terminate (a `pid` or a rule: `state` and/or `blocking`,
 * each with `minSeconds`), rollback (a prepared transaction by `preparedTransaction`).
 * @example
 * ```ts
 * SessionsInput.parse({ pid: 4242, action: 'terminate' })
 * SessionsInput.parse({ state: 'idle-in-transaction', minSeconds: 600, action: 'terminate' })
 * ```
 */
export const SessionsInput = actionInput(
  {
    list: z.object({ ...Pid, ...Rule, preparedTransaction: PreparedGid.optional(), ...Node }).superRefine(pidOrRule(false)),
    cancel: z.object({ ...Pid, ...Rule, ...Node }).superRefine(pidOrRule(true)),
    terminate: z.object({ ...Pid, ...Rule, ...Node }).superRefine(pidOrRule(true)),
    rollback: z.object({ preparedTransaction: PreparedGid, ...Node }),
  },
  {
    default: 'list',
    describe: 'list (default), cancel (pg_cancel_backend), terminate (pg_terminate_backend; needs --yes) or rollback (a prepared transaction; needs --yes).',
  },
);
/** Input of maintenance-sessions: one of its actions' inputs. */
export type SessionsInput = ActionInput<typeof SessionsInput>;

/** One server session, without its statement's values. */
export const SessionInfo = z.object({
  pid: z.number().int(),
  database: z.string().nullable(),
  user: z.string().nullable(),
  application: z.string(),
  backendType: z.string().describe('client backend, walsender, autovacuum worker …'),
  state: z.string().nullable().describe('active, idle, idle in transaction, …'),
  waitEventType: z.string().nullable(),
  transactionSeconds: z.number().nullable().describe('Age of its open transaction, in seconds.'),
  stateSeconds: z.number().nullable().describe('Time in its current state, in seconds.'),
  blockedBy: z.array(z.number().int()).describe('The pids it waits for (pg_blocking_pids).'),
  blocking: z.array(z.number().int()).describe('The pids that wait for it.'),
  protected: z.string().optional().describe('Why a rule never selects it (a replication or superuser maintenance session, pgcluster\'s own); a pid names it anyway.'),
  statement: z.string().describe('Its last statement, every literal replaced by ?.'),
});
/** One server session. */
export type SessionInfo = z.infer<typeof SessionInfo>;

/** One lock chain: a root session and every session waiting on it, directly or not. */
export const BlockingChain = z.object({
  root: z.number().int().describe('The pid at the root: it blocks and waits for nobody.'),
  waiting: z.array(z.number().int()).describe('Every pid waiting on it, directly or through others.'),
  longestWaitSeconds: z.number().describe('The longest any of them has waited, in seconds.'),
  recommendation: SkillReferenceSchema.describe('The run that ends the chain: terminate its root (with --yes).'),
});
/** One lock chain. */
export type BlockingChain = z.infer<typeof BlockingChain>;

/** A prepared (two-phase) transaction. */
export const PreparedTransaction = z.object({
  gid: z.string(),
  database: z.string(),
  owner: z.string(),
  ageSeconds: z.number(),
});
/** A prepared transaction. */
export type PreparedTransaction = z.infer<typeof PreparedTransaction>;

/** What was done (or, in a plan, would be done) to one session or prepared transaction. */
export const SessionActionResult = z.object({
  target: z.string().describe('pid 4242 or the prepared transaction\'s gid.'),
  statement: z.string().describe('The statement sent.'),
  done: z.boolean().describe('The server signalled the session (or rolled the transaction back); false: it had already gone.'),
});
/** What was done to one session. */
export type SessionActionResult = z.infer<typeof SessionActionResult>;

/** Output of maintenance-sessions. */
export const SessionsReport = z.object({
  node: z.string(),
  action: z.enum(SESSION_ACTIONS),
  sessions: z.array(SessionInfo).describe('The sessions concerned: the one named, those the rule selects, or by default the lock chains and sessions idle in a transaction.'),
  chains: z.array(BlockingChain),
  preparedTransactions: z.array(PreparedTransaction),
  selected: z.array(z.number().int()).describe('The pids the action applies to.'),
  actions: z.array(SessionActionResult),
  counts: z.object({ sessions: z.number().int(), chains: z.number().int(), idleInTransaction: z.number().int(), signalled: z.number().int() }),
});
/** Output of maintenance-sessions. */
export type SessionsReport = z.infer<typeof SessionsReport>;
