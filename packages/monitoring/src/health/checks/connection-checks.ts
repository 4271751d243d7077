import { ref, round, type NodeCheck } from '../node-check';

const SESSIONS = `
select pid, usename as role, datname as database, query_id::text as query_id,
       extract(epoch from now() - state_change)::float8 as state_seconds,
       extract(epoch from now() - query_start)::float8 as query_seconds
  from pg_stat_activity
 where backend_type = 'client backend' and pid <> pg_backend_pid() and state = any($1::text[])`;

interface SessionRow {
  pid: number;
  role: string | null;
  database: string | null;
  query_id: string | null;
  state_seconds: number | null;
  query_seconds: number | null;
}

const who = (r: SessionRow) => `pid ${r.pid} (role ${r.role ?? '?'}, database ${r.database ?? '?'}${r.query_id ? `, query ${r.query_id}` : ''})`;

/**
 * Connection checks: saturation, idle in transaction, long-running statements, old prepared transactions.
 * @example CONNECTION_CHECKS.find((c) => c.id === 'idle_in_transaction')
 */
export const CONNECTION_CHECKS: readonly NodeCheck[] = [
  {
    id: 'connection_saturation',
    collect: async ({ query, facts }) => {
      const [r] = await query<{ used: number; max: number; reserved: number }>(
        `select (select count(*) from pg_stat_activity where backend_type = 'client backend')::int as used,
                current_setting('max_connections')::int as max,
                current_setting('superuser_reserved_connections')::int as reserved`,
      );
      const available = Math.max(1, r!.max - r!.reserved);
      return [
        {
          object: 'max_connections',
          value: round((r!.used * 100) / available),
          message: `${facts.name} has ${r!.used} client connections of ${available} available (max_connections ${r!.max} − ${r!.reserved} reserved)`,
          recommendation: ref('maintenance-sessions', { state: 'idle' }, 'close idle sessions, then put PgBouncer in front or raise max_connections'),
        },
      ];
    },
  },
  {
    id: 'idle_in_transaction',
    collect: async ({ query }) => {
      const rows = await query<SessionRow>(SESSIONS, [['idle in transaction', 'idle in transaction (aborted)']]);
      return rows.map((r) => ({
        object: `pid ${r.pid}`,
        value: round(r.state_seconds ?? 0, 1),
        message: `${who(r)} has been idle in an open transaction for ${round(r.state_seconds ?? 0, 0)} s: it holds its locks and keeps vacuum from removing dead rows`,
        recommendation: ref('maintenance-sessions', { pid: r.pid, action: 'terminate' }, 'end the idle transaction (its application should commit or roll back)'),
      }));
    },
  },
  {
    id: 'long_running_query',
    collect: async ({ query }) => {
      const rows = await query<SessionRow>(SESSIONS, [['active']]);
      return rows.map((r) => ({
        object: `pid ${r.pid}`,
        value: round(r.query_seconds ?? 0, 1),
        message: `${who(r)} has been running one statement for ${round(r.query_seconds ?? 0, 0)} s`,
        recommendation: ref('maintenance-sessions', { pid: r.pid, action: 'cancel' }, 'cancel it if it is not expected to run this long; maintenance-optimize finds a better plan'),
      }));
    },
  },
  {
    id: 'prepared_transaction_age',
    collect: async ({ query }) => {
      const rows = await query<{ gid: string; owner: string; database: string; seconds: number }>(
        'select gid, owner, database, extract(epoch from now() - prepared)::float8 as seconds from pg_prepared_xacts',
      );
      return rows.map((r) => ({
        object: r.gid,
        value: round(r.seconds, 1),
        message: `prepared transaction ${r.gid} (role ${r.owner}, database ${r.database}) has waited ${round(r.seconds, 0)} s for COMMIT PREPARED or ROLLBACK PREPARED`,
        recommendation: ref('maintenance-sessions', { preparedTransaction: r.gid, action: 'rollback' }, 'its transaction manager should finish it; until then it holds locks and the xmin horizon'),
      }));
    },
  },
];
