import { existsSync, statfsSync } from 'node:fs';
import { formatBytes, ref, round, userSchema, type NodeCheck } from '../node-check';

// Sequences with their bounds and the integer column they feed (an int4 column caps a bigint sequence).
const SEQUENCES_SQL = `
select format('%I.%I', n.nspname, c.relname) as object, n.nspname as schema, c.relname as name,
       s.seqmin::float8 as min, s.seqmax::float8 as max, s.seqincrement::float8 as increment, col.type as column_type, col.name as column_name
  from pg_sequence s
  join pg_class c on c.oid = s.seqrelid
  join pg_namespace n on n.oid = c.relnamespace
  left join lateral (
    select ty.typname as type, format('%I.%I.%I', tn.nspname, tc.relname, a.attname) as name
      from pg_depend d
      join pg_class tc on tc.oid = d.refobjid
      join pg_namespace tn on tn.oid = tc.relnamespace
      join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
      join pg_type ty on ty.oid = a.atttypid
     where d.classid = 'pg_class'::regclass and d.objid = s.seqrelid and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
     limit 1
  ) col on true
 where ${userSchema('n.nspname')} and c.relkind = 'S'
   -- has_sequence_privilege errors on anything but a sequence, and the planner may evaluate it before the join
   and case when c.relkind = 'S' then has_sequence_privilege(c.oid, 'SELECT') else false end
 order by 1`;

interface SequenceRow {
  object: string;
  schema: string;
  name: string;
  min: number;
  max: number;
  increment: number;
  column_type: string | null;
  column_name: string | null;
}

const COLUMN_RANGE: Record<string, [number, number]> = { int2: [-32768, 32767], int4: [-2147483648, 2147483647] };

/**
 * Capacity checks: sequences near their end, database sizes, disk space of local data directories.
 * Sequence values are read with a plain SELECT from each sequence (AccessShareLock), all in one statement.
 * @example CAPACITY_CHECKS.map((c) => c.id) // ['sequence_exhaustion', 'database_size', 'disk_space']
 */
export const CAPACITY_CHECKS: readonly NodeCheck[] = [
  {
    id: 'sequence_exhaustion',
    collect: async ({ query, quoteIdent }) => {
      const sequences = await query<SequenceRow>(SEQUENCES_SQL);
      if (sequences.length === 0) return [];
      // pg_sequences.last_value would take RowExclusiveLock on each sequence; SELECT takes AccessShareLock.
      const values = await query<{ i: number; last: number }>(
        sequences.map((s, i) => `select ${i} as i, last_value::float8 as last from ${quoteIdent(s.schema)}.${quoteIdent(s.name)}`).join(' union all '),
      );
      return values.map(({ i, last }) => {
        const s = sequences[i]!;
        const [colMin, colMax] = (s.column_type && COLUMN_RANGE[s.column_type]) || [s.min, s.max];
        const [lo, hi] = [Math.max(s.min, colMin), Math.min(s.max, colMax)];
        const used = s.increment > 0 ? (last - lo) / (hi - lo) : (hi - last) / (hi - lo);
        const capped = hi < s.max || lo > s.min ? ` (capped by ${s.column_type} column ${s.column_name})` : '';
        return {
          object: s.object,
          value: round(used * 100, 3),
          message: `sequence ${s.object} is at ${last} of ${s.increment > 0 ? hi : lo}${capped}: ${round(used * 100, 2)}% used`,
          recommendation: ref('monitoring-health', { checks: ['sequence_exhaustion'] }, `move ${s.object} (ALTER SEQUENCE … AS bigint) and its column (ALTER TABLE … TYPE bigint, a rewrite) to bigint by hand before inserts start failing (no skill does it yet), then re-check`),
        };
      });
    },
  },
  {
    id: 'database_size',
    collect: async ({ query }) =>
      (
        await query<{ database: string; bytes: number }>(
          `select datname as database, pg_database_size(oid)::float8 as bytes from pg_database
            where datallowconn and has_database_privilege(oid, 'CONNECT')`,
        )
      ).map((r) => ({
        object: r.database,
        value: r.bytes,
        message: `database ${r.database} is ${formatBytes(r.bytes)}`,
        recommendation: ref('maintenance-vacuum', { database: r.database }, 'reclaim dead space first; then plan storage growth'),
      })),
  },
  {
    id: 'disk_space',
    skip: ({ node }) =>
      !node.dataDir ? 'not measurable: no local data directory configured for this node (dataDir)' : !existsSync(node.dataDir) ? `not measurable: ${node.dataDir} is not on this machine` : null,
    collect: async ({ node }) => {
      const fs = statfsSync(node.dataDir!);
      const used = (fs.blocks - fs.bfree) * fs.bsize;
      const total = used + fs.bavail * fs.bsize;
      return [
        {
          object: node.dataDir!,
          value: round((used * 100) / Math.max(total, 1)),
          message: `the file system of ${node.dataDir} is ${round((used * 100) / Math.max(total, 1), 1)}% full (${formatBytes(fs.bavail * fs.bsize)} free)`,
          recommendation: ref('cluster-status', {}, 'free space: drop inactive replication slots, prune backups (cluster-backup --action prune), or grow the volume'),
        },
      ];
    },
  },
];
