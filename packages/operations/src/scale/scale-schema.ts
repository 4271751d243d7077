import { z } from 'zod';

/** What `cluster-scale` resizes; one tuple yields the type, the validator and the CLI choices. */
export const SCALE_TARGETS = ['auto', 'pgbouncer', 'runtime'] as const;
/** One of {@link SCALE_TARGETS}. */
export type ScaleTarget = (typeof SCALE_TARGETS)[number];

/** Directions of a relative resize. */
export const SCALE_DIRECTIONS = ['up', 'down'] as const;

/** The largest pool size cluster-scale sets. */
export const MAX_SCALE_SIZE = 1000;

/**
 * Input of `cluster-scale`.
 * @example
 * ```ts
 * ClusterScaleInput.parse({ direction: 'up', increment: 5 })
 * ClusterScaleInput.parse({ size: 20, target: 'pgbouncer' })
 * ```
 */
export const ClusterScaleInput = z
  .object({
    target: z
      .enum(SCALE_TARGETS)
      .default('auto')
      .describe('pgbouncer (its pools, through the admin console), runtime (the in-process pools of a long-running agent or MCP server), or auto: every one present.'),
    direction: z.enum(SCALE_DIRECTIONS).optional().describe('Grow (up) or shrink (down) the pool size by --increment.'),
    increment: z.number().int().min(1, 'must be at least 1').max(MAX_SCALE_SIZE).default(5).describe('With --direction: how many connections to add or remove per pool (default 5).'),
    size: z.number().int().min(1, 'must be at least 1 (a pool of 0 connections would refuse every client)').max(MAX_SCALE_SIZE, `must be at most ${MAX_SCALE_SIZE}`).optional().describe('The new pool size (absolute), instead of --direction.'),
    reservePoolSize: z.number().int().min(0, 'must be 0 or more').max(MAX_SCALE_SIZE).optional().describe('PgBouncer: reserve_pool_size (extra connections for a pool whose clients wait too long).'),
    maxDbConnections: z.number().int().min(0, 'must be 0 (no limit) or more').max(100_000).optional().describe('PgBouncer: max_db_connections per database (0 = no limit).'),
  })
  .superRefine((input, ctx) => {
    if (input.size !== undefined && input.direction !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['size'], message: 'give either --size or --direction, not both' });
    }
    if (input.size === undefined && input.direction === undefined && input.reservePoolSize === undefined && input.maxDbConnections === undefined) {
      ctx.addIssue({ code: 'custom', path: ['size'], message: 'give --size N, --direction up|down [--increment N], --reserve-pool-size or --max-db-connections' });
    }
  });
/** Input of `cluster-scale`. */
export type ClusterScaleInput = z.output<typeof ClusterScaleInput>;

const PgbouncerSizes = z.object({
  defaultPoolSize: z.number().int(),
  reservePoolSize: z.number().int(),
  maxDbConnections: z.number().int(),
});
/** PgBouncer's pool settings. */
export type PgbouncerSizes = z.infer<typeof PgbouncerSizes>;

/** `data` of a `cluster-scale` run. */
export const ClusterScaleOutput = z.object({
  dryRun: z.boolean().describe('True when nothing was changed (the plan only).'),
  pgbouncer: z
    .object({
      before: PgbouncerSizes,
      after: PgbouncerSizes,
      pools: z.number().int().describe('Client pools (database/user pairs) PgBouncer has now.'),
      persistent: z
        .boolean()
        .describe('True: also written into pgbouncer.ini (pgbouncer.configFile), so reloads and failovers keep it. False: SET lasts until PgBouncer reloads (the next failover, through Patroni\'s role-change callback) or restarts.'),
    })
    .optional()
    .describe('PgBouncer: sizes before → after.'),
  runtime: z
    .object({
      before: z.number().int(),
      after: z.number().int(),
      pools: z.array(z.object({ purpose: z.string(), node: z.string(), database: z.string(), before: z.number().int(), after: z.number().int() })),
    })
    .optional()
    .describe('In-process pools: size before → after, per pool.'),
  headroom: z
    .object({
      maxConnections: z.number().int(),
      reserved: z.number().int().describe('superuser_reserved_connections'),
      required: z.number().int().describe('Server connections the new sizes may open on the primary.'),
      available: z.number().int().describe('max_connections − reserved.'),
      ok: z.boolean(),
    })
    .nullable()
    .describe('The check against the primary\'s max_connections (null when the primary did not answer).'),
  notes: z.array(z.string()).describe('What to know about the change.'),
});
/** `data` of a `cluster-scale` run. */
export type ClusterScaleOutput = z.infer<typeof ClusterScaleOutput>;
