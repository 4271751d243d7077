import type { ClusterProvider } from './cluster-options';

/** A node's role; one tuple yields the type and its output choices. */
export const NODE_ROLES = ['primary', 'replica'] as const;

/** One of {@link NODE_ROLES}. */
export type NodeRole = (typeof NODE_ROLES)[number];

/** Whether a node answers; one tuple yields the type and its output choices. */
export const NODE_STATES = ['up', 'down'] as const;

/** One of {@link NODE_STATES}. */
export type NodeState = (typeof NODE_STATES)[number];

/**
 * One PostgreSQL server of a test or dev cluster.
 *
 * @example
 * ```ts
 * const { name, port } = cluster.primary          // 'node1', 54321
 * const url = cluster.primary.url('postgres')      // postgresql://pgcluster:…@127.0.0.1:54321/postgres
 * ```
 */
export interface NodeHandle {
  /** `node1` (the primary when created), `node2`, … */
  readonly name: string;
  /** The role it was created with; {@link ClusterHandle.status} reports the live one. */
  readonly role: NodeRole;
  readonly host: string;
  readonly port: number;
  /** The data directory (local provider only). */
  readonly dataDir: string | undefined;
  /** The server log file (local provider only). */
  readonly logFile: string | undefined;
  /** A postgresql:// URL with the password, for the cluster's database or `database`. */
  url(database?: string): string;
}

/**
 * What {@link ClusterHandle.status} reports for one node.
 *
 * @example
 * ```ts
 * { name: 'node2', role: 'replica', host: '127.0.0.1', port: 54322, state: 'up',
 *   replicationState: 'streaming', lagBytes: 0, lagSeconds: 0 }
 * ```
 */
export interface NodeStatus {
  name: string;
  /** From `pg_is_in_recovery()` when up; the role it was created with when down. */
  role: NodeRole;
  host: string;
  port: number;
  state: NodeState;
  /** Replicas: `pg_stat_replication.state` as the primary sees it (`streaming`, `catchup`…); null otherwise or unknown. */
  replicationState: string | null;
  /** Replicas: WAL bytes not yet replayed; null for the primary or when unknown. */
  lagBytes: number | null;
  /** Replicas: replay lag in seconds; null for the primary or when unknown. */
  lagSeconds: number | null;
}

/** Options of {@link ClusterHandle.stop}. */
export interface StopClusterOptions {
  /** Also delete the data directories and the cluster's state files. */
  purge?: boolean;
}

/** A node given by name (`'node2'`) or by its handle. */
export type NodeRef = string | NodeHandle;

/**
 * A running (or stopped, re-attachable) cluster: a primary and its streaming replicas.
 *
 * @example
 * ```ts
 * const cluster = await startCluster({ replicas: 2 })
 * try {
 *   await useDatabase(cluster.url())                 // the primary
 *   await readFrom(cluster.url('node2'))              // a replica
 *   console.table(await cluster.status())
 * } finally {
 *   await cluster.stop({ purge: true })
 * }
 * ```
 */
export interface ClusterHandle {
  readonly provider: ClusterProvider;
  /** Where `cluster.json` lives (local provider); undefined for other providers. */
  readonly baseDir: string | undefined;
  /** The database created for the caller. */
  readonly database: string;
  readonly user: string;
  readonly nodes: readonly NodeHandle[];
  /** The primary (local clusters: as the data directories say now, so after a failover the promoted node). */
  readonly primary: NodeHandle;
  /** The replicas (local clusters: as the data directories say now). */
  readonly replicas: readonly NodeHandle[];
  /** A postgresql:// URL with the password, for a node (default the primary) and database (default the cluster's). */
  url(node?: NodeRef, database?: string): string;
  /** Per node: live role, up/down, and replication lag for replicas. Never throws for a node that is down. */
  status(): Promise<NodeStatus[]>;
  /** Whether the node's server process is running. */
  isRunning(node: NodeRef): Promise<boolean>;
  /** SIGKILLs the node's postmaster (a crash), and resolves when its processes are gone. */
  kill(node: NodeRef): Promise<void>;
  /**
   * Starts the node again (stopping it first if it runs) and resolves when it accepts connections;
   * local clusters: an old primary while another node leads rejoins as its replica instead.
   */
  restart(node: NodeRef): Promise<void>;
  /**
   * Starts every stopped node (the current primary first) and waits until every replica streams;
   * a stopped old primary (a failover promoted another node) rejoins as a replica, never as a second primary.
   */
  start(): Promise<void>;
  /**
   * Brings a node back as a replica of the current primary (pg_rewind when it diverged), stopping it
   * first when it runs. Local clusters only (Patroni rejoins its members by itself).
   */
  rejoin?(node: NodeRef): Promise<void>;
  /** Stops every server (fast shutdown, SIGKILL if that fails); `purge` also deletes the data. */
  stop(options?: StopClusterOptions): Promise<void>;
  /**
   * Synchronously SIGKILLs every server process the handle owns and deletes what it created.
   * For `process.on('exit')` and signal handlers; prefer {@link ClusterHandle.stop}.
   */
  destroySync(): void;
  /** The last `lines` lines (default 50) of the server log of one node, or of every node. */
  logs(node?: NodeRef, lines?: number): Promise<string>;
}
