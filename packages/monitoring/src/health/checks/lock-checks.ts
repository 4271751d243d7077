import { ref, round, type NodeCheck } from '../node-check';

// Every client session with what it waits for; pg_blocking_pids only for those waiting on a lock.
const SESSIONS_SQL = `
select a.pid, a.state, a.query_id::text as query_id,
       extract(epoch from now() - a.xact_start)::float8 as xact_seconds,
       extract(epoch from now() - a.state_change)::float8 as state_seconds,
       extract(epoch from now() - l.waitstart)::float8 as wait_seconds,
       case when a.wait_event_type = 'Lock' then pg_blocking_pids(a.pid) else '{}'::int[] end as blockers
  from pg_stat_activity a
  left join lateral (select min(waitstart) as waitstart from pg_locks where pid = a.pid and not granted) l on true
 where a.backend_type = 'client backend' and a.pid <> pg_backend_pid()`;

interface Session {
  pid: number;
  state: string | null;
  query_id: string | null;
  xact_seconds: number | null;
  state_seconds: number | null;
  wait_seconds: number | null;
  blockers: number[];
}

/**
 * The blocking chain of `pid`, depth first: every session it waits for, and what those wait for.
 * Returns the chain's description and the sessions at its root (blocking, not waiting).
 * @example blockingChain(4243, sessions) // { text: 'pid 4243 ← pid 4242 (idle in transaction for 40 s, …)', roots: [4242] }
 */
export function blockingChain(pid: number, sessions: ReadonlyMap<number, Session>): { text: string; roots: number[] } {
  const roots: number[] = [];
  const seen = new Set<number>([pid]);
  const parts: string[] = [];
  const visit = (p: number, depth: number): void => {
    for (const b of sessions.get(p)?.blockers ?? []) {
      if (seen.has(b)) continue;
      seen.add(b);
      const s = sessions.get(b);
      const what = s
        ? `${s.state ?? 'unknown state'}${s.state_seconds !== null ? ` for ${round(s.state_seconds, 0)} s` : ''}` +
          `${s.xact_seconds !== null ? `, transaction open ${round(s.xact_seconds, 0)} s` : ''}` +
          `${s.query_id ? `, query ${s.query_id}` : ''}` +
          `${s.blockers.length > 0 ? `, itself waiting ${round(s.wait_seconds ?? 0, 0)} s` : ''}`
        : 'not a client session';
      parts.push(`${'← '.repeat(depth)}pid ${b} (${what})`);
      if (!s || s.blockers.length === 0) roots.push(b);
      visit(b, depth + 1);
    }
  };
  visit(pid, 1);
  return { text: `pid ${pid} ${parts.join(' ')}`, roots };
}

/**
 * Lock checks: sessions waiting for locks with their whole blocking chain, and the deadlock rate.
 * @example LOCK_CHECKS.map((c) => c.id) // ['lock_waits', 'deadlocks']
 */
export const LOCK_CHECKS: readonly NodeCheck[] = [
  {
    id: 'lock_waits',
    collect: async ({ query }) => {
      const rows = await query<Session>(SESSIONS_SQL);
      const sessions = new Map(rows.map((r) => [r.pid, r]));
      return rows
        .filter((r) => r.blockers.length > 0)
        .map((r) => {
          const chain = blockingChain(r.pid, sessions);
          const root = chain.roots[0] ?? r.blockers[0]!;
          return {
            object: `pid ${r.pid}`,
            value: round(r.wait_seconds ?? 0, 1),
            message: `pid ${r.pid}${r.query_id ? ` (query ${r.query_id})` : ''} has waited ${round(r.wait_seconds ?? 0, 0)} s for a lock; blocking chain: ${chain.text}`,
            recommendation: ref('maintenance-sessions', { pid: root, action: 'terminate' }, `pid ${root} is at the root of the chain`),
          };
        });
    },
  },
  {
    id: 'deadlocks',
    collect: async ({ query }) => {
      const rows = await query<{ database: string; deadlocks: number; seconds: number }>(
        `select datname as database, deadlocks::float8 as deadlocks,
                extract(epoch from now() - coalesce(stats_reset, pg_postmaster_start_time()))::float8 as seconds
           from pg_stat_database where datname is not null and deadlocks > 0`,
      );
      return rows.map((r) => ({
        object: r.database,
        value: round((r.deadlocks * 60) / Math.max(r.seconds, 60), 3),
        message: `database ${r.database} had ${r.deadlocks} deadlock(s) in the last ${round(r.seconds / 3600, 1)} h (since the statistics reset)`,
        recommendation: ref('monitoring-logs', { category: 'deadlocks' }, 'the server log names the statements of each deadlock'),
      }));
    },
  },
];
