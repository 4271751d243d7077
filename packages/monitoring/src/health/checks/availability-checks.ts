import { ref, round, type NodeCheck } from '../node-check';

/**
 * Availability checks that run on each node; node_down, no_primary and split_brain are judged
 * over all nodes' answers (see assessCluster).
 * @example AVAILABILITY_CHECKS.map((c) => c.id) // ['recently_restarted', 'pending_restart']
 */
export const AVAILABILITY_CHECKS: readonly NodeCheck[] = [
  {
    id: 'recently_restarted',
    collect: async ({ facts }) => [
      {
        object: 'postmaster',
        value: round(facts.uptimeSeconds, 1),
        message: `${facts.name} started ${round(facts.uptimeSeconds, 0)} s ago`,
        recommendation: ref('cluster-status', {}, 'see whether the restart was a crash or a planned one and whether every node is back'),
      },
    ],
  },
  {
    id: 'pending_restart',
    collect: async ({ query, facts }) => {
      const rows = await query<{ name: string }>('select name from pg_settings where pending_restart order by name');
      if (rows.length === 0) return [];
      const names = rows.map((r) => r.name).join(', ');
      return [
        {
          object: names,
          value: rows.length,
          message: `${facts.name} has ${rows.length} setting(s) waiting for a restart: ${names}`,
          recommendation: ref('cluster-status', {}, 'restart the node in a maintenance window (a switchover first for the primary), then confirm every node is back'),
        },
      ];
    },
  },
];
