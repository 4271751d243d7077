import { InputError, RefusedError, type ClusterConfig, type TopologyProvider } from '@pgcluster/core';
import { normaliseStatement } from '@pgcluster/monitoring';
import type pg from 'pg';
import { resolveTarget, withTarget, type MaintenanceTarget } from '../connection/maintenance-target';
import { quoteLiteral } from '../sql/qualified-name';
import type { BlockingChain, PreparedTransaction, SessionAction, SessionActionResult, SessionInfo, SessionsReport, SessionState } from './sessions-schema';

// Every other backend of the node, with who it waits for. Statements are normalised before output.
const SESSIONS_SQL = `
select a.pid, a.datname as database, a.usename as "user", coalesce(a.application_name, '') as application,
       coalesce(a.backend_type, '') as "backendType", a.state, a.wait_event_type as "waitEventType",
       extract(epoch from now() - a.xact_start)::float8 as "transactionSeconds",
       extract(epoch from now() - a.state_change)::float8 as "stateSeconds",
       pg_blocking_pids(a.pid) as "blockedBy", coalesce(r.rolsuper, false) as superuser,
       coalesce(r.rolreplication, false) as replication, coalesce(a.query, '') as query
  from pg_stat_activity a
  left join pg_roles r on r.oid = a.usesysid
 where a.pid <> pg_backend_pid()
 order by a.pid`;

const PREPARED_SQL = `
select gid, database, owner, extract(epoch from now() - prepared)::float8 as "ageSeconds" from pg_prepared_xacts order by prepared`;

/** How long pg_terminate_backend waits for the session to go, in ms. */
const TERMINATE_WAIT_MS = 5_000;

interface SessionRow extends Omit<SessionInfo, 'blocking' | 'protected' | 'statement'> {
  superuser: boolean;
  replication: boolean;
  query: string;
}

/**
 * What the session functions take: the fields of any action of {@link SessionsInput} (a
 * validated input of maintenance-sessions is one).
 */
export interface SessionsRequest {
  action: SessionAction;
  pid?: number | undefined;
  state?: SessionState | undefined;
  blocking?: boolean | undefined;
  minSeconds?: number | undefined;
  database?: string | undefined;
  preparedTransaction?: string | undefined;
  node?: string | undefined;
}

/** Everything maintenance-sessions reads from a node. */
export interface SessionsSnapshot {
  sessions: SessionInfo[];
  chains: BlockingChain[];
  preparedTransactions: PreparedTransaction[];
}

/**
 * Checks the combinations the schema cannot: a pid or a rule for cancel and terminate, a gid
 * for rollback, minSeconds only with a rule.
 * @throws InputError naming the field.
 * @example checkSessionsInput({ action: 'terminate' }) // throws: pid: give a pid or a rule …
 */
export function checkSessionsInput(input: SessionsRequest): void {
  const rule = input.state !== undefined || input.blocking === true;
  if (input.action === 'rollback' && !input.preparedTransaction) throw new InputError('preparedTransaction', 'action rollback needs the gid of a prepared transaction');
  if (input.preparedTransaction && input.action !== 'rollback' && input.action !== 'list') throw new InputError('action', 'a preparedTransaction can only be listed or rolled back (action rollback)');
  if (input.pid !== undefined && rule) throw new InputError('pid', 'give either a pid or a rule (state, blocking), not both');
  if (input.minSeconds !== undefined && !rule) throw new InputError('minSeconds', 'applies to a rule: give state or blocking with it');
  if ((input.action === 'cancel' || input.action === 'terminate') && input.pid === undefined && !rule) {
    throw new InputError('pid', `${input.action} needs a pid or a rule (state, blocking): a session is never chosen by default`);
  }
}

/**
 * The sessions of a node, its lock chains and prepared transactions.
 * @example const { chains } = await readSessions(target)
 */
export async function readSessions(target: MaintenanceTarget): Promise<SessionsSnapshot> {
  const { rows, prepared } = await withTarget(target, `reading the sessions of ${target.node}`, async (c) => ({
    rows: (await c.query<SessionRow>(SESSIONS_SQL)).rows,
    prepared: (await c.query<PreparedTransaction>(PREPARED_SQL)).rows,
  }));
  const blocking = new Map<number, number[]>();
  for (const r of rows) for (const b of r.blockedBy) blocking.set(b, [...(blocking.get(b) ?? []), r.pid]);
  const sessions = rows.map(({ superuser, replication, query, ...r }): SessionInfo => {
    const why = protectedReason(r.backendType, r.application, superuser, replication);
    return { ...r, blocking: blocking.get(r.pid) ?? [], ...(why ? { protected: why } : {}), statement: normaliseStatement(query) };
  });
  return { sessions, chains: chainsOf(sessions, target.node), preparedTransactions: prepared };
}

// Security: a rule never selects the cluster's own sessions (replication, superuser maintenance, pgcluster's tools).
function protectedReason(backendType: string, application: string, superuser: boolean, replication: boolean): string | undefined {
  if (backendType !== 'client backend') return `a ${backendType} (a server or replication process)`;
  if (superuser) return 'a superuser (maintenance) session';
  if (replication) return 'a replication role';
  if (application.startsWith('pgcluster')) return `pgcluster's own session (${application})`;
  return undefined;
}

function chainsOf(sessions: readonly SessionInfo[], node: string): BlockingChain[] {
  const byPid = new Map(sessions.map((s) => [s.pid, s]));
  const chains: BlockingChain[] = [];
  for (const root of sessions.filter((s) => s.blocking.length > 0 && s.blockedBy.length === 0)) {
    const waiting = new Set<number>();
    const queue = [...root.blocking];
    while (queue.length > 0) {
      const pid = queue.shift()!;
      if (waiting.has(pid)) continue;
      waiting.add(pid);
      queue.push(...(byPid.get(pid)?.blocking ?? []));
    }
    const waits = [...waiting].map((p) => byPid.get(p)?.stateSeconds ?? 0);
    const longestWaitSeconds = Math.max(0, ...waits);
    chains.push({
      root: root.pid,
      waiting: [...waiting].sort((a, b) => a - b),
      longestWaitSeconds,
      recommendation: {
        skill: 'maintenance-sessions',
        input: { pid: root.pid, action: 'terminate', node },
        why: `pid ${root.pid} (${root.state ?? 'no state'}) blocks ${waiting.size} session(s), the longest waiting ${Math.round(longestWaitSeconds)} s`,
      },
    });
  }
  return chains;
}

/**
 * The sessions an input concerns and the pids its action applies to: the named pid (protected or
 * not), or the unprotected sessions the rule selects, or for a plain list the lock chains and the
 * sessions idle in a transaction.
 * @throws InputError (`pid`) when the named pid is not a session of the node.
 * @example const { selected } = selectSessions(snapshot, { state: 'idle-in-transaction', minSeconds: 600, action: 'terminate' })
 */
export function selectSessions(snapshot: SessionsSnapshot, input: SessionsRequest, node: string): { sessions: SessionInfo[]; selected: number[] } {
  const { sessions, chains } = snapshot;
  if (input.pid !== undefined) {
    const s = sessions.find((x) => x.pid === input.pid);
    if (!s) throw new InputError('pid', `must be the pid of another session on ${node}; ${input.pid} is not one (it may have ended)`);
    return { sessions: [s], selected: input.action === 'list' ? [] : [s.pid] };
  }
  if (input.state !== undefined || input.blocking) {
    const min = input.minSeconds ?? 0;
    const roots = new Map(chains.map((c) => [c.root, c.longestWaitSeconds]));
    const matched = sessions.filter(
      (s) =>
        !s.protected &&
        (input.database === undefined || s.database === input.database) &&
        (input.state === undefined || (stateMatches(s.state, input.state) && (s.stateSeconds ?? 0) >= min)) &&
        (!input.blocking || (roots.get(s.pid) ?? -1) >= min),
    );
    return { sessions: matched, selected: input.action === 'list' ? [] : matched.map((s) => s.pid) };
  }
  const inChains = new Set(chains.flatMap((c) => [c.root, ...c.waiting]));
  return { sessions: sessions.filter((s) => inChains.has(s.pid) || stateMatches(s.state, 'idle-in-transaction')), selected: [] };
}

function stateMatches(state: string | null, wanted: SessionsRequest['state']): boolean {
  if (wanted === 'idle-in-transaction') return state?.startsWith('idle in transaction') === true;
  return state === wanted;
}

/**
 * The statement each action sends (pids and gids shown here; pids are bound when sent).
 * @example actionStatement('terminate', 4242) // 'SELECT pg_terminate_backend(4242, 5000)'
 */
export function actionStatement(action: 'cancel' | 'terminate' | 'rollback', target: number | string): string {
  if (action === 'rollback') return `ROLLBACK PREPARED ${quoteLiteral(String(target))}`;
  return action === 'cancel' ? `SELECT pg_cancel_backend(${Number(target)})` : `SELECT pg_terminate_backend(${Number(target)}, ${TERMINATE_WAIT_MS})`;
}

/** Options of {@link controlSessions}. */
export interface ControlSessionsOptions {
  /** The user confirmed (`--yes`, or the executor's gate did): terminate and rollback may go ahead. */
  confirmed?: boolean;
  signal?: AbortSignal;
  /** Where roles come from instead of the config's own provider (a skill's run shares its own). */
  topology?: TopologyProvider;
}

/**
 * Lists a node's lock chains, sessions idle in a transaction and prepared transactions; cancels
 * or terminates sessions by pid or by rule, or rolls back a prepared transaction. Terminate and
 * rollback lose the session's uncommitted work, so they need `confirmed`.
 *
 * @throws InputError for a bad combination or an unknown pid/gid (nothing done); RefusedError
 * for terminate or rollback without confirmation (nothing done).
 * @example
 * ```ts
 * const report = await controlSessions(config, { action: 'terminate', pid: 4242 }, { confirmed: true })
 * report.actions // [{ target: 'pid 4242', statement: 'SELECT pg_terminate_backend(4242, 5000)', done: true }]
 * ```
 */
export async function controlSessions(config: ClusterConfig, input: SessionsRequest, options: ControlSessionsOptions = {}): Promise<SessionsReport> {
  checkSessionsInput(input);
  const target = await resolveTarget(config, input, 'session control', options.signal, options.topology);
  const snapshot = await readSessions(target);
  const { sessions, selected } = selectSessions(snapshot, input, target.node);
  const prepared = preparedOf(snapshot, input, target.node);
  const actions: SessionActionResult[] = [];
  if (input.action !== 'list') {
    if ((input.action === 'terminate' || input.action === 'rollback') && !options.confirmed) {
      throw new RefusedError(`${input.action} loses the uncommitted work of ${input.action === 'rollback' ? 'the prepared transaction' : `${selected.length} session(s)`}; nothing was done`, {
        hint: 'Review the plan (--dry-run), then pass --yes to confirm.',
      });
    }
    if (input.action === 'rollback') {
      const p = preparedTransactionOf(snapshot, input.preparedTransaction, target.node);
      await withTarget({ ...target, database: p.database }, `rolling back prepared transaction on ${target.node}`, (c) => c.query(actionStatement('rollback', p.gid)));
      actions.push({ target: `prepared transaction ${p.gid}`, statement: actionStatement('rollback', p.gid), done: true });
    } else if (selected.length > 0) {
      actions.push(...(await signal(target, input.action, selected)));
    }
  }
  return {
    node: target.node,
    action: input.action,
    sessions,
    chains: snapshot.chains,
    preparedTransactions: prepared,
    selected,
    actions,
    counts: {
      sessions: sessions.length,
      chains: snapshot.chains.length,
      idleInTransaction: snapshot.sessions.filter((s) => stateMatches(s.state, 'idle-in-transaction')).length,
      signalled: actions.filter((a) => a.done).length,
    },
  };
}

/**
 * The prepared transactions an input concerns: the named one, or all of them.
 * @throws InputError (`preparedTransaction`) when the named gid is not prepared on the node.
 */
export function preparedOf(snapshot: SessionsSnapshot, input: SessionsRequest, node: string): PreparedTransaction[] {
  if (!input.preparedTransaction) return snapshot.preparedTransactions;
  const p = snapshot.preparedTransactions.filter((x) => x.gid === input.preparedTransaction);
  if (p.length === 0) throw new InputError('preparedTransaction', `must be the gid of a prepared transaction on ${node} (pg_prepared_xacts); there is none by that gid`);
  return p;
}

/**
 * The prepared transaction a rollback names.
 * @throws InputError (`preparedTransaction`) when none is named, or it is not prepared on the node.
 * @example const p = preparedTransactionOf(snapshot, 'tx-42', 'node1')
 */
export function preparedTransactionOf(snapshot: SessionsSnapshot, gid: string | undefined, node: string): PreparedTransaction {
  const p = gid === undefined ? undefined : preparedOf(snapshot, { action: 'rollback', preparedTransaction: gid }, node)[0];
  if (!p) throw new InputError('preparedTransaction', 'action rollback needs the gid of a prepared transaction');
  return p;
}

async function signal(target: MaintenanceTarget, action: 'cancel' | 'terminate', pids: readonly number[]): Promise<SessionActionResult[]> {
  return withTarget(target, `${action === 'cancel' ? 'cancelling' : 'terminating'} sessions on ${target.node}`, async (c: pg.Client) => {
    const out: SessionActionResult[] = [];
    for (const pid of pids) {
      const text = action === 'cancel' ? 'select pg_cancel_backend($1::int) as done' : `select pg_terminate_backend($1::int, ${TERMINATE_WAIT_MS}) as done`;
      const r = await c.query<{ done: boolean }>(text, [pid]);
      out.push({ target: `pid ${pid}`, statement: actionStatement(action, pid), done: r.rows[0]?.done === true });
    }
    return out;
  });
}

