import { z } from 'zod';

/** Actions of `cluster-failover`; one tuple yields the type, the validator and the CLI choices. */
export const FAILOVER_ACTIONS = ['switchover', 'failover'] as const;
/** One of {@link FAILOVER_ACTIONS}. */
export type FailoverAction = (typeof FAILOVER_ACTIONS)[number];

/** How the cluster is driven: through Patroni's REST API, or natively (pg_promote, ALTER SYSTEM, pg_rewind). */
export const FAILOVER_MODES = ['patroni', 'native'] as const;
/** One of {@link FAILOVER_MODES}. */
export type FailoverMode = (typeof FAILOVER_MODES)[number];

/**
 * Input of `cluster-failover`.
 * @example
 * ```ts
 * ClusterFailoverInput.parse({ action: 'switchover', to: 'node2' })
 * ```
 */
export const ClusterFailoverInput = z.object({
  action: z
    .enum(FAILOVER_ACTIONS)
    .default('failover')
    .describe('switchover (planned: the primary is healthy; waits until the target has replayed everything, no data loss) or failover (unplanned: the primary is lost; promotes the most advanced healthy replica).'),
  to: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be a node name from the config (lower-case letters, digits, - or _)')
    .optional()
    .describe('The node to promote; default the most advanced healthy replica. Must be a configured node (or Patroni member) that is a replica.'),
  rewind: z
    .boolean()
    .default(false)
    .describe('Native mode: pg_rewind the old primary and start it as a replica of the new one (only for a node whose dataDir is in the config, on this machine). Patroni does this by itself.'),
  catchUpTimeoutMs: z
    .number()
    .int()
    .min(1_000, 'must be at least 1000 ms')
    .max(600_000, 'must be at most 600000 ms')
    .default(30_000)
    .describe('switchover: how long to wait for the target to replay all of the old primary\'s WAL before giving up (and un-fencing).'),
});
/** Input of `cluster-failover`. */
export type ClusterFailoverInput = z.output<typeof ClusterFailoverInput>;

const Step = z.object({ step: z.string(), ok: z.boolean(), detail: z.string() });

/** `data` of a `cluster-failover` run. */
export const ClusterFailoverOutput = z.object({
  action: z.enum(FAILOVER_ACTIONS).describe('The action taken.'),
  mode: z.enum(FAILOVER_MODES).describe('patroni (through its REST API) or native (pg_promote and re-pointing).'),
  from: z.string().nullable().describe('The primary before (null when none was found).'),
  to: z.string().describe('The node promoted.'),
  reason: z.string().describe('Why this node was chosen.'),
  fenced: z
    .enum(['stopped', 'read-only', 'unreachable', 'patroni', 'none'])
    .describe('How the old primary was kept from taking writes: stopped (local pg_ctl stop), read-only (default_transaction_read_only, sessions ended), unreachable (it was down), patroni (Patroni demoted it).'),
  lostBytes: z.number().nullable().describe('WAL bytes the old primary had that the new one did not, when known (0 for a switchover).'),
  timeline: z.number().nullable().describe('The new primary\'s timeline.'),
  repointed: z.array(z.string()).describe('Replicas now streaming (or set to stream) from the new primary.'),
  oldPrimary: z
    .enum(['rejoined', 'down', 'stopped', 'read-only', 'replica', 'rejoining'])
    .describe('What became of the old primary: rejoined (pg_rewind, now a replica), replica (Patroni rejoined it), rejoining (Patroni is rejoining it by itself: nothing to do), down, stopped or read-only (left fenced).'),
  steps: z.array(Step).describe('Every step with ok and a detail.'),
  durationMs: z.number().describe('Wall time of the run.'),
});
/** `data` of a `cluster-failover` run. */
export type ClusterFailoverOutput = z.infer<typeof ClusterFailoverOutput>;

/** One step of {@link ClusterFailoverOutput.steps}. */
export type FailoverStep = z.infer<typeof Step>;
