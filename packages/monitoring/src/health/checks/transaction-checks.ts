import { ref, round, type NodeCheck } from '../node-check';

/** The 2^31 transaction IDs after which the server refuses writes (wraparound). */
const WRAP_LIMIT = 2 ** 31;

/**
 * Transaction checks: XID and multixact wraparound per database, rollback ratio.
 * @example TRANSACTION_CHECKS.map((c) => c.id) // ['xid_wraparound', 'multixact_wraparound', 'rollback_ratio']
 */
export const TRANSACTION_CHECKS: readonly NodeCheck[] = ([
  ['xid_wraparound', 'age(datfrozenxid)', 'autovacuum_freeze_max_age', 'transaction ID'],
  ['multixact_wraparound', 'mxid_age(datminmxid)', 'autovacuum_multixact_freeze_max_age', 'multixact ID'],
] as const)
  .map(([id, age, setting, what]): NodeCheck => ({
    id,
    collect: async ({ query }) => {
      const rows = await query<{ database: string; age: number; freeze_max: number }>(
        `select datname as database, ${age}::float8 as age, current_setting('${setting}')::float8 as freeze_max from pg_database`,
      );
      return rows.map((r) => ({
        object: r.database,
        value: round((r.age * 100) / WRAP_LIMIT, 3),
        message: `database ${r.database}: oldest ${what} age ${r.age} is ${round((r.age * 100) / WRAP_LIMIT, 1)}% of the wraparound limit and ${round((r.age * 100) / r.freeze_max, 0)}% of ${setting}`,
        recommendation: ref('maintenance-vacuum', { database: r.database, freeze: true }, 'VACUUM (FREEZE) the oldest tables of this database before the server stops accepting writes'),
      }));
    },
  }))
  .concat({
    id: 'rollback_ratio',
    collect: async ({ query }) => {
      const rows = await query<{ database: string; commits: number; rollbacks: number }>(
        `select datname as database, xact_commit::float8 as commits, xact_rollback::float8 as rollbacks
           from pg_stat_database where datname is not null and xact_commit + xact_rollback >= 1000`,
      );
      return rows.map((r) => ({
        object: r.database,
        value: round((r.rollbacks * 100) / (r.commits + r.rollbacks), 2),
        message: `database ${r.database}: ${r.rollbacks} of ${r.commits + r.rollbacks} transactions rolled back since the statistics reset`,
        recommendation: ref('monitoring-logs', { database: r.database }, 'the server log shows the errors that roll transactions back'),
      }));
    },
  });
