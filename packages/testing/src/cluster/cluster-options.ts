import { InputError, PgClusterError } from '@pgcluster/core';

/** Where a cluster comes from; one tuple yields the type, the check and the env var's choices. */
export const CLUSTER_PROVIDERS = ['local', 'url', 'testcontainers'] as const;

/** One of {@link CLUSTER_PROVIDERS}. */
export type ClusterProvider = (typeof CLUSTER_PROVIDERS)[number];

/** The most replicas a test or dev cluster may have. */
export const MAX_REPLICAS = 5;

/** The extensions created in the cluster's database unless told otherwise. */
export const DEFAULT_EXTENSIONS: readonly string[] = ['vector', 'pg_stat_statements', 'hypopg'];

/** Environment variables the providers read. */
export const CLUSTER_ENV = {
  /** Chooses the provider when `options.provider` is not given. */
  provider: 'PGCLUSTER_TEST_PROVIDER',
  /** The server the `url` provider uses. */
  url: 'PGCLUSTER_TEST_URL',
} as const;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * What {@link startCluster} is asked for. Every field is optional.
 *
 * @example
 * ```ts
 * const options: StartClusterOptions = { replicas: 1, synchronous: true, fast: true }
 * ```
 */
export interface StartClusterOptions {
  /** Streaming replicas besides the primary: an integer from 0 to 5; default 2. */
  replicas?: number;
  /** Make the primary wait for one replica: `synchronous_standby_names = 'ANY 1 (node2, …)'`. Default false. */
  synchronous?: boolean;
  /** Extensions created in the database; default `['vector', 'pg_stat_statements', 'hypopg']`. */
  extensions?: readonly string[];
  /** Where the cluster comes from; default `PGCLUSTER_TEST_PROVIDER`, else `'local'`. */
  provider?: ClusterProvider;
  /** Where data dirs and `cluster.json` live (local provider); default a fresh temp dir. */
  baseDir?: string;
  /** The database created for the caller; default `'pgcluster'`. */
  database?: string;
  /** A superuser that also replicates; default `'pgcluster'`. */
  user?: string;
  /** The user's password; default a random one. */
  password?: string;
  /** `fsync = off` and no syncing in initdb/pg_basebackup: for throwaway test clusters only. Default false. */
  fast?: boolean;
  /** The server for the `url` provider; default `PGCLUSTER_TEST_URL`. */
  url?: string;
  /**
   * etcd + one Patroni per node + PgBouncer (transaction pooling) in front of the leader, all on
   * loopback (local provider only; Patroni ttl 10 s, loop_wait 2 s, retry_timeout 4 s). With
   * `synchronous`, Patroni's `synchronous_mode` is on. Default false.
   */
  ha?: boolean;
  /** Receives progress lines (for example, to print them to stderr). */
  log?: (line: string) => void;
}

/** {@link StartClusterOptions} with defaults applied and every field checked. */
export interface ResolvedClusterOptions {
  replicas: number;
  synchronous: boolean;
  extensions: string[];
  provider: ClusterProvider;
  baseDir: string | undefined;
  database: string;
  user: string;
  password: string | undefined;
  fast: boolean;
  url: string | undefined;
  ha: boolean;
  log: (line: string) => void;
}

/**
 * Checks {@link StartClusterOptions} and applies defaults. Pure: the environment is passed in.
 *
 * @throws InputError naming the field (`replicas`, `provider`, …) and what is allowed.
 * @throws PgClusterError `NOT_SUPPORTED` for `ha: true` with another provider than `local`.
 * @example
 * ```ts
 * resolveClusterOptions({ replicas: 1 }, process.env).provider // 'local'
 * resolveClusterOptions({ replicas: -1 }, {})                  // throws InputError('replicas', …)
 * ```
 */
export function resolveClusterOptions(options: StartClusterOptions, env: NodeJS.ProcessEnv): ResolvedClusterOptions {
  const replicas = options.replicas ?? 2;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0 || replicas > MAX_REPLICAS) {
    throw new InputError('replicas', `must be an integer from 0 to ${MAX_REPLICAS} (got ${String(replicas)})`);
  }
  const provider = options.provider ?? env[CLUSTER_ENV.provider] ?? 'local';
  if (!(CLUSTER_PROVIDERS as readonly string[]).includes(provider)) {
    const field = options.provider === undefined ? CLUSTER_ENV.provider : 'provider';
    throw new InputError(field, `must be one of ${CLUSTER_PROVIDERS.join(', ')} (got ${provider})`);
  }
  const ha = options.ha ?? false;
  if (ha && provider !== 'local') {
    throw new PgClusterError('NOT_SUPPORTED', `ha: etcd + Patroni + PgBouncer clusters run with the local provider only (got ${provider})`, {
      hint: 'Leave `provider` unset (or set PGCLUSTER_TEST_PROVIDER=local) for an HA cluster.',
    });
  }
  const synchronous = options.synchronous ?? false;
  if (synchronous && replicas === 0) {
    throw new InputError('synchronous', 'needs at least one replica (replicas ≥ 1)');
  }
  const database = options.database ?? 'pgcluster';
  if (!IDENTIFIER.test(database)) throw new InputError('database', 'must be a lower-case identifier of at most 63 characters');
  const user = options.user ?? 'pgcluster';
  if (!IDENTIFIER.test(user)) throw new InputError('user', 'must be a lower-case identifier of at most 63 characters');
  const extensions = [...(options.extensions ?? DEFAULT_EXTENSIONS)];
  for (const [i, name] of extensions.entries()) {
    if (!IDENTIFIER.test(name)) throw new InputError(`extensions.${i}`, 'must be an extension name (a lower-case identifier)');
  }
  if (options.password !== undefined && (options.password.length === 0 || /[\0\n\r]/.test(options.password))) {
    // Security: the value is never echoed, only what is wrong with it.
    throw new InputError('password', 'must be non-empty and single-line');
  }
  const url = options.url ?? env[CLUSTER_ENV.url];
  if (provider === 'url' && !url) {
    throw new InputError('url', `the url provider needs a postgresql:// URL (option \`url\` or ${CLUSTER_ENV.url})`);
  }
  return {
    replicas,
    synchronous,
    extensions,
    provider: provider as ClusterProvider,
    baseDir: options.baseDir,
    database,
    user,
    password: options.password,
    fast: options.fast ?? false,
    url,
    ha,
    log: options.log ?? (() => undefined),
  };
}
