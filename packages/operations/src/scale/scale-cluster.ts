import { createTopologyProvider, InputError, nodeAddress, PgClusterError, readPgbouncer, withClient, type ClusterConfig, type PgbouncerState } from '@pgcluster/core';
import type { ClusterPools } from '@pgcluster/pools';
import type { PlanStep } from '@pgcluster/skill-kit';
import { applyPgbouncerSizes, pgbouncerSetStatements } from './pgbouncer-admin';
import { checkPgbouncerIni, persistPgbouncerSizes } from './pgbouncer-ini';
import { MAX_SCALE_SIZE, type ClusterScaleInput, type ClusterScaleOutput, type PgbouncerSizes } from './scale-schema';

/** The primary's connection limit, as `cluster-scale` checks it. */
export const HEADROOM_SQL = `select current_setting('max_connections')::int as max_connections,
       current_setting('superuser_reserved_connections')::int as reserved`;

/** What `cluster-scale` is given besides its input. */
export interface ScaleClusterOptions {
  /** The in-process pools of a long-running runtime (from `ctx.services.pools`). */
  pools?: ClusterPools;
  /** Compute and check only; change nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** Everything computed before a change: the plan and the result it would have. */
export interface ScalePlan {
  result: ClusterScaleOutput;
  steps: PlanStep[];
  /** The admin-console statements to run. */
  statements: string[];
  /** The new runtime pool size, when runtime pools are resized. */
  runtimeSize: number | undefined;
}

/**
 * The new size from the current one: `--size` as given, or `--direction` ± `--increment`.
 * @throws InputError when shrinking would go below 1 or growing above the maximum.
 * @example nextSize(10, { direction: 'up', increment: 5 }) // 15
 */
export function nextSize(current: number, input: Pick<ClusterScaleInput, 'size' | 'direction' | 'increment'>): number {
  if (input.size !== undefined) return input.size;
  if (!input.direction) return current;
  const next = input.direction === 'up' ? current + input.increment : current - input.increment;
  if (next < 1) throw new InputError('increment', `shrinking ${current} by ${input.increment} would leave ${next}; the smallest pool size is 1`);
  if (next > MAX_SCALE_SIZE) throw new InputError('increment', `growing ${current} by ${input.increment} gives ${next}; the largest pool size is ${MAX_SCALE_SIZE}`);
  return next;
}

/**
 * Reads the current sizes, computes the new ones and checks them against the primary's
 * `max_connections`: `required` = PgBouncer pools × (pool size + reserve) (capped by
 * max_db_connections per database) + the runtime's write pools on the primary.
 *
 * @throws InputError naming `target` when neither PgBouncer nor runtime pools are there, or
 *   the size field when the primary could not take it (with the numbers).
 * @example
 * ```ts
 * const { result, steps } = await planScale(config, ClusterScaleInput.parse({ direction: 'up' }))
 * ```
 */
export async function planScale(config: ClusterConfig, input: ClusterScaleInput, options: ScaleClusterOptions = {}): Promise<ScalePlan> {
  const wantsBouncer = input.target !== 'runtime';
  const wantsRuntime = input.target !== 'pgbouncer';
  const pools = wantsRuntime ? options.pools : undefined;
  const adminUrl = wantsBouncer ? config.pgbouncer?.adminUrl : undefined;
  if (!adminUrl && !pools) {
    // Not bad input: the input is valid, this cluster (or process) has no pool to scale.
    throw new PgClusterError(
      'NOT_SUPPORTED',
      input.target === 'runtime'
        ? 'no in-process pools here: runtime pools are resized only inside a long-running agent or MCP server'
        : `no PgBouncer in the config (pgbouncer.adminUrl)${input.target === 'auto' ? ' and no in-process pools in this process' : ''}: nothing to scale`,
      { hint: 'Add "pgbouncer": { "adminUrl": "postgresql://admin:…@host:6432/pgbouncer" } to pgcluster.config.json (pgcluster dev up --ha writes it), or run cluster-scale from the agent/MCP server that owns the pools.' },
    );
  }
  const notes: string[] = [];
  const steps: PlanStep[] = [];
  let statements: string[] = [];
  let bouncer: PgbouncerState | undefined;
  let bouncerAfter: PgbouncerSizes | undefined;
  const sizeField = input.size !== undefined ? 'size' : 'increment';
  if (adminUrl) {
    bouncer = await readPgbouncer(adminUrl);
    const b = bouncer.sizes;
    bouncerAfter = {
      defaultPoolSize: input.size !== undefined || input.direction ? nextSize(b.defaultPoolSize, input) : b.defaultPoolSize,
      reservePoolSize: input.reservePoolSize ?? b.reservePoolSize,
      maxDbConnections: input.maxDbConnections ?? b.maxDbConnections,
    };
    statements = pgbouncerSetStatements(b, bouncerAfter);
    const at = `PgBouncer ${nodeAddress(adminUrl)}`;
    steps.push({ kind: 'sql', target: at, text: 'SHOW CONFIG; SHOW POOLS' });
    steps.push({
      kind: 'note',
      target: at,
      text: `default_pool_size ${b.defaultPoolSize} → ${bouncerAfter.defaultPoolSize}, reserve_pool_size ${b.reservePoolSize} → ${bouncerAfter.reservePoolSize}, max_db_connections ${b.maxDbConnections} → ${bouncerAfter.maxDbConnections} (${bouncer.pools.length} pool(s))`,
    });
    const iniFile = config.pgbouncer?.configFile;
    if (iniFile && statements.length > 0) {
      checkPgbouncerIni(iniFile);
      const sizes = `default_pool_size = ${bouncerAfter.defaultPoolSize}, reserve_pool_size = ${bouncerAfter.reservePoolSize}, max_db_connections = ${bouncerAfter.maxDbConnections}`;
      steps.push({ kind: 'command', target: iniFile, text: `write ${sizes} into [pgbouncer] (a new file renamed over it, same mode and owner)` });
    }
    for (const sql of statements) steps.push({ kind: 'sql', target: at, text: sql });
    notes.push(
      iniFile
        ? 'PgBouncer: the sizes are written into pgbouncer.ini first, then SET at once on the admin console: a reload (Patroni\'s role-change callback on every failover) or a restart keeps them.'
        : 'PgBouncer: SET applies at once to every pool without its own pool_size, but pgbouncer.ini is not changed: the next RELOAD resets it — the next failover does, when Patroni\'s role-change callback reloads PgBouncer — and so does a restart. Set pgbouncer.configFile in the config to have cluster-scale write the sizes there too.',
    );
  }
  let runtime: ClusterScaleOutput['runtime'];
  let runtimeSize: number | undefined;
  if (pools) {
    const stats = pools.stats();
    const current = Math.max(0, ...stats.map((s) => s.max));
    runtimeSize = input.size !== undefined || input.direction ? nextSize(current || 10, input) : undefined;
    if (runtimeSize !== undefined) {
      runtime = {
        before: current,
        after: runtimeSize,
        pools: stats.map((s) => ({ purpose: s.purpose, node: s.node, database: s.database, before: s.max, after: runtimeSize! })),
      };
      steps.push({ kind: 'note', target: 'in-process pools', text: `ClusterPools.resize: ${current} → ${runtimeSize} (${stats.length} pool(s))` });
    }
  }

  // Headroom on the primary: what the new sizes may open, against max_connections.
  let headroom: ClusterScaleOutput['headroom'] = null;
  const primary = (await createTopologyProvider(config).resolve(options.signal)).primary;
  if (primary) {
    steps.unshift({ kind: 'sql', target: `primary ${primary.name}`, text: HEADROOM_SQL });
    const limits = await withClient({ url: primary.url, connectTimeoutMs: 3_000 }, 'reading max_connections', async (c) => (await c.query<{ max_connections: number; reserved: number }>(HEADROOM_SQL)).rows[0]!);
    const available = limits.max_connections - limits.reserved;
    let required = 0;
    if (bouncer && bouncerAfter) {
      const perPool = bouncerAfter.defaultPoolSize + bouncerAfter.reservePoolSize;
      const byDb = new Map<string, number>();
      for (const p of bouncer.pools.length ? bouncer.pools : [{ database: '(first pool)' }]) byDb.set(p.database, (byDb.get(p.database) ?? 0) + perPool);
      for (const n of byDb.values()) required += bouncerAfter.maxDbConnections > 0 ? Math.min(n, bouncerAfter.maxDbConnections) : n;
    }
    if (runtime) required += runtime.pools.filter((p) => p.purpose === 'write').length * runtime.after || runtime.after;
    headroom = { maxConnections: limits.max_connections, reserved: limits.reserved, required, available, ok: required <= available };
    if (!headroom.ok) {
      // Security: refuses a size the primary cannot serve (connection storms would lock out every client).
      throw new InputError(
        sizeField,
        `the new sizes could open ${required} server connections on the primary ${primary.name}, but it allows ${available} (max_connections ${limits.max_connections} − ${limits.reserved} reserved for superusers); nothing was changed`,
        { hint: `Choose a size of at most ${Math.max(1, Math.floor(available / Math.max(1, bouncer?.pools.length ?? 1)) - (bouncerAfter?.reservePoolSize ?? 0))} per pool, or raise max_connections on every node (needs a restart).` },
      );
    }
    if (required > 0.8 * available) notes.push(`the new sizes use ${required} of ${available} connections the primary allows (above 80%)`);
  } else {
    notes.push('no primary answered: the headroom against max_connections was not checked');
  }
  return {
    result: {
      dryRun: options.dryRun ?? false,
      ...(bouncer && bouncerAfter ? { pgbouncer: { before: bouncer.sizes, after: bouncerAfter, pools: bouncer.pools.length, persistent: config.pgbouncer?.configFile !== undefined } } : {}),
      ...(runtime ? { runtime } : {}),
      headroom,
      notes,
    },
    steps,
    statements,
    runtimeSize,
  };
}

/**
 * Resizes PgBouncer's pools through its admin console (and in `pgbouncer.ini` when
 * `pgbouncer.configFile` is set, so reloads and failovers keep them) and/or a runtime's
 * in-process pools, after {@link planScale}'s checks.
 *
 * @example
 * ```ts
 * const result = await scaleCluster(config, ClusterScaleInput.parse({ size: 20 }), { pools })
 * console.log(result.pgbouncer?.before.defaultPoolSize, '→', result.pgbouncer?.after.defaultPoolSize)
 * ```
 */
export async function scaleCluster(config: ClusterConfig, input: ClusterScaleInput, options: ScaleClusterOptions = {}): Promise<ClusterScaleOutput> {
  const plan = await planScale(config, input, options);
  if (options.dryRun) return plan.result;
  const bouncer = input.target !== 'runtime' ? config.pgbouncer : undefined;
  if (bouncer && plan.result.pgbouncer && plan.statements.length > 0) {
    // The file first: a reload between the two then still finds the new sizes.
    if (bouncer.configFile) persistPgbouncerSizes(bouncer.configFile, plan.result.pgbouncer.after);
    await applyPgbouncerSizes(bouncer.adminUrl, plan.statements);
  }
  if (options.pools && plan.runtimeSize !== undefined) options.pools.resize({ max: plan.runtimeSize, purpose: 'all' });
  return plan.result;
}
