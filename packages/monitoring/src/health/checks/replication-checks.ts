import { formatBytes, ref, round, type NodeCheck } from '../node-check';

/**
 * Replication checks: lag in bytes (primary's view) and seconds (replica's), receivers not
 * streaming, inactive slots with the WAL they retain, a missing synchronous standby, failing archiving.
 * @example REPLICATION_CHECKS.map((c) => c.id)
 */
export const REPLICATION_CHECKS: readonly NodeCheck[] = [
  {
    id: 'replication_lag',
    collect: async ({ query }) =>
      (
        await query<{ standby: string; state: string; bytes: number | null }>(
          `select application_name as standby, state, pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 as bytes
             from pg_stat_replication`,
        )
      ).map((r) => ({
        object: r.standby,
        value: r.bytes ?? 0,
        message: `standby ${r.standby} (${r.state}) has ${formatBytes(r.bytes ?? 0)} of WAL left to replay`,
        recommendation: ref('cluster-status', {}, 'see whether the standby is overloaded, cut off or catching up'),
      })),
  },
  {
    id: 'replication_lag_seconds',
    collect: async ({ query, facts }) => {
      const [r] = await query<{ seconds: number | null }>(
        `select case when pg_last_wal_receive_lsn() is null or pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() then 0
                     else extract(epoch from now() - pg_last_xact_replay_timestamp()) end::float8 as seconds`,
      );
      return [
        {
          object: facts.name,
          value: round(r?.seconds ?? 0, 1),
          message: `replica ${facts.name} last replayed a transaction ${round(r?.seconds ?? 0, 0)} s ago and has WAL left to replay`,
          recommendation: ref('cluster-status', {}, 'see whether the replica is overloaded or cut off from the primary'),
        },
      ];
    },
  },
  {
    id: 'replica_not_streaming',
    collect: async ({ query, facts }) => {
      const [r] = await query<{ status: string }>('select status from pg_stat_wal_receiver');
      if (r?.status === 'streaming') return [];
      return [
        {
          object: facts.name,
          value: 1,
          message: `replica ${facts.name} is ${r ? `not streaming (WAL receiver ${r.status})` : 'not streaming (no WAL receiver runs)'}`,
          recommendation: ref('cluster-status', {}, 'see whether the primary is reachable; a replica that cannot catch up needs rebuilding from a backup'),
        },
      ];
    },
  },
  {
    id: 'inactive_replication_slots',
    collect: async ({ query }) =>
      (
        await query<{ slot: string; type: string; retained: number | null }>(
          `select slot_name as slot, slot_type as type, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 as retained
             from pg_replication_slots where not active`,
        )
      ).map((r) => ({
        object: r.slot,
        value: r.retained ?? 0,
        message: `${r.type} replication slot ${r.slot} is not used by anyone and retains ${formatBytes(r.retained ?? 0)} of WAL${r.retained === null ? ' (none reserved yet)' : ''}: WAL piles up until the disk is full`,
        recommendation: ref('cluster-status', {}, `bring its consumer back, or drop the slot with pg_drop_replication_slot('${r.slot}') once no replica needs it`),
      })),
  },
  {
    id: 'sync_standby_missing',
    skip: ({ facts }) => (facts.synchronousStandbyNames === '' ? 'synchronous_standby_names is empty (asynchronous replication)' : null),
    collect: async ({ query, facts }) => {
      const [r] = await query<{ sync: number }>(`select count(*)::int as sync from pg_stat_replication where sync_state in ('sync', 'quorum')`);
      return [
        {
          object: 'synchronous_standby_names',
          value: r?.sync ?? 0,
          message: `synchronous_standby_names is '${facts.synchronousStandbyNames}' and ${r?.sync ?? 0} standby is synchronous: commits wait until one comes back`,
          recommendation: ref('cluster-status', {}, 'bring a synchronous standby back (or empty synchronous_standby_names to accept asynchronous commits)'),
        },
      ];
    },
  },
  {
    id: 'archiving_failing',
    // Every node whose archiver runs: a primary with archive_mode on or always, a replica with always
    // (each archives the WAL it receives; its failures show only in its own pg_stat_archiver).
    collect: async ({ query, facts }) =>
      (
        await query<{ failed: number; wal: string | null; failing_seconds: number; mode: string }>(
          `select failed_count::float8 as failed, last_failed_wal as wal,
                  extract(epoch from now() - last_failed_time)::float8 as failing_seconds,
                  current_setting('archive_mode') as mode
             from pg_stat_archiver
            where (current_setting('archive_mode') = 'always' or (current_setting('archive_mode') = 'on' and not pg_is_in_recovery()))
              and last_failed_time is not null
              and last_failed_time > coalesce(last_archived_time, '-infinity')`,
        )
      ).map((r) => ({
        object: 'archive_command',
        value: r.failed,
        message: `WAL archiving on ${facts.role} ${facts.name} (archive_mode ${r.mode}) is failing (${r.failed} failures since the statistics reset, last on ${r.wal ?? 'a WAL file'} ${round(r.failing_seconds, 0)} s ago): point-in-time recovery has a gap and its pg_wal grows`,
        recommendation: ref('cluster-backup', { action: 'backup', kind: 'physical' }, `fix archive_command on ${facts.name} (see its server log), then take a new base backup`),
      })),
  },
];
