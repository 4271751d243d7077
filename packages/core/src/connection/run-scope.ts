import { AsyncLocalStorage } from 'node:async_hooks';
import type { ChildProcess } from 'node:child_process';
import type pg from 'pg';

/** A server backend a run holds: the node's URL and the backend's pid. */
export interface RunBackend {
  url: string;
  pid: number;
  /** Opened after the run was aborted (its clean-up), so not cancelled with the run's work. */
  cleanup: boolean;
}

/** What {@link RunScope.cancel} or {@link RunScope.stop} did. */
export interface RunStopReport {
  /** Backends signalled (`pg_cancel_backend` for cancel, `pg_terminate_backend` for stop). */
  backends: number;
  /** Child processes signalled (SIGTERM for cancel, SIGKILL for stop). */
  processes: number;
  /** Nodes that could not be reached to signal their backends (`host:port`). */
  unreachable: string[];
}

/**
 * Everything one run holds outside the process — the server backends of the connections it
 * opened and the child processes (pg_dump, pg_basebackup …) it started — so that stopping the
 * run stops them too. `withClient`, `createPgPool` and the programs run by the operations
 * package register themselves in the scope their code runs in (see {@link runInScope});
 * code outside any scope is not tracked.
 *
 * @example
 * ```ts
 * const scope = new RunScope()
 * const work = runInScope(scope, () => buildIndex(db))
 * signal.addEventListener('abort', () => void scope.cancel())
 * ```
 */
export class RunScope {
  readonly #backends = new Set<RunBackend>();
  readonly #processes = new Set<ChildProcess>();
  #aborted = false;
  #closed = false;

  /** True once {@link stop} ran: new connections in this scope are refused. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The backends the run holds now. */
  get backends(): readonly RunBackend[] {
    return [...this.#backends];
  }

  /** How many child processes of the run are still running. */
  get processes(): number {
    return this.#processes.size;
  }

  /**
   * Records a backend the run opened; returns the function that forgets it (when the connection ends).
   * @example const release = scope.trackBackend(url, client.processID)
   */
  trackBackend(url: string, pid: number): () => void {
    const backend: RunBackend = { url, pid, cleanup: this.#aborted };
    this.#backends.add(backend);
    return () => void this.#backends.delete(backend);
  }

  /**
   * Records a child process; it is forgotten when it exits.
   * @example scope.trackProcess(spawn('pg_dump', args))
   */
  trackProcess(child: ChildProcess): void {
    if (child.exitCode !== null || child.signalCode !== null) return;
    this.#processes.add(child);
    child.once('exit', () => this.#processes.delete(child));
    if (this.#closed) child.kill('SIGKILL');
  }

  /**
   * Cancels the run's work: `pg_cancel_backend` of every backend opened before the abort (a
   * clean-up connection opened after it is left alone) and SIGTERM to every child process.
   * Safe to call again (e.g. once a second, for a query that started after the first cancel).
   */
  async cancel(): Promise<RunStopReport> {
    this.#aborted = true;
    const processes = this.#signalProcesses('SIGTERM');
    const { backends, unreachable } = await signalBackends([...this.#backends].filter((b) => !b.cleanup), 'pg_cancel_backend');
    return { backends, processes, unreachable };
  }

  /**
   * Stops what is left for good: `pg_terminate_backend` of every backend, SIGKILL to every
   * child process, and every later connection or program of this scope is refused.
   */
  async stop(): Promise<RunStopReport> {
    this.#aborted = true;
    this.#closed = true;
    const processes = this.#signalProcesses('SIGKILL');
    const { backends, unreachable } = await signalBackends([...this.#backends], 'pg_terminate_backend');
    return { backends, processes, unreachable };
  }

  #signalProcesses(signal: NodeJS.Signals): number {
    let n = 0;
    for (const child of this.#processes) if (child.kill(signal)) n++;
    return n;
  }
}

// The scope follows the async flow of a run (like a thread-local). It holds no data of its own:
// each run's RunScope object is created and owned by the caller of runInScope.
const storage = new AsyncLocalStorage<RunScope>();

/**
 * Runs `fn` with `scope` as the current {@link RunScope}: connections opened and programs
 * started anywhere inside it (awaited or not) are tracked there.
 * @example
 * ```ts
 * const result = await runInScope(scope, () => skill.run(ctx, input))
 * ```
 */
export function runInScope<T>(scope: RunScope, fn: () => Promise<T>): Promise<T> {
  return storage.run(scope, fn);
}

/**
 * The {@link RunScope} the calling code runs in, if any.
 * @example currentRunScope()?.trackProcess(child)
 */
export function currentRunScope(): RunScope | undefined {
  return storage.getStore();
}

/** Signals backends, one connection per node; outside any scope, so it is never tracked or refused itself. */
async function signalBackends(backends: readonly RunBackend[], fn: 'pg_cancel_backend' | 'pg_terminate_backend'): Promise<{ backends: number; unreachable: string[] }> {
  const byNode = new Map<string, { url: string; pids: number[] }>();
  for (const b of backends) {
    const key = new URL(b.url).host;
    const entry = byNode.get(key) ?? { url: b.url, pids: [] };
    entry.pids.push(b.pid);
    byNode.set(key, entry);
  }
  const unreachable: string[] = [];
  const counts = await storage.exit(() =>
    Promise.all(
      [...byNode].map(async ([node, { url, pids }]) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const client: pg.Client = new (require('pg') as typeof pg).Client({ connectionString: url, application_name: 'pgcluster-stop', connectionTimeoutMillis: 5_000 });
        client.on('error', () => undefined);
        try {
          await client.connect();
          // The function is one of two fixed names; the pids are bound.
          const r = await client.query<{ n: number }>(`select count(*) filter (where ${fn}(pid))::int as n from unnest($1::int[]) as pid`, [pids]);
          return r.rows[0]?.n ?? 0;
        } catch {
          unreachable.push(node);
          return 0;
        } finally {
          await client.end().catch(() => undefined);
        }
      }),
    ),
  );
  return { backends: counts.reduce((a, b) => a + b, 0), unreachable };
}
