import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { controlData, InputError, PgClusterError, rejoinAsStandby, runningPostmaster, standbyConninfo, startDataDir, withClient, writePassfile, writeStandbyConfig, type ServerProgramRunner } from '@pgcluster/core';
import type { ClusterHandle, NodeHandle, NodeRef, NodeStatus, StopClusterOptions } from '../cluster/cluster-handle';
import type { ResolvedClusterOptions } from '../cluster/cluster-options';
import { postgresUrl } from '../cluster/postgres-url';
import { queryNodeStatuses } from '../cluster/query-node-status';
import { waitForStreaming } from '../cluster/wait-for-streaming';
import {
  CLUSTER_STATE_FILE,
  PASSWORD_FILE,
  readClusterState,
  readPasswordFile,
  writeClusterState,
  writePasswordFile,
  type ClusterState,
  type ClusterStateNode,
} from './cluster-state';
import { chooseDataRoot, quoteIdent } from './data-root';
import { findFreePort } from './free-port';
import { createPgRunner, type PgRunner } from './pg-runner';
import { renderPgHba, renderPostgresqlConf, socketDirFits } from './postgres-conf';
import { LOG_DIRECTORY, readServerLog } from './server-log';
import { killPostmaster, signal, waitUntilGone } from './postmaster';

const HOST = '127.0.0.1';

/**
 * Creates a local cluster from PostgreSQL's own binaries: initdb and start the primary,
 * create the database and extensions, then `pg_basebackup` one replica per slot and wait
 * until every replica streams. On any failure everything created so far is removed.
 *
 * @example
 * ```ts
 * const cluster = await startLocalCluster(resolveClusterOptions({ replicas: 1 }, process.env))
 * ```
 */
export async function startLocalCluster(options: ResolvedClusterOptions): Promise<ClusterHandle> {
  const started = Date.now();
  const pg = createPgRunner();
  const baseDir = options.baseDir ? resolve(options.baseDir) : mkdtempSync(join(tmpdir(), 'pgcluster-'));
  mkdirSync(baseDir, { recursive: true, mode: 0o711 });
  if (existsSync(join(baseDir, CLUSTER_STATE_FILE))) {
    throw new InputError('baseDir', `${baseDir} already holds a cluster (${CLUSTER_STATE_FILE}); re-attach with attachCluster() or choose another folder`);
  }
  // A fresh temp dir is mode 700; the server's OS user only needs to pass through it.
  if (!options.baseDir && pg.asServerUser) chmodSync(baseDir, 0o711);
  const dataRoot = chooseDataRoot(pg, baseDir, CLUSTER_STATE_FILE, options.log);

  const used = new Set<number>();
  const nodes: ClusterStateNode[] = [];
  for (let i = 0; i <= options.replicas; i += 1) {
    const port = await findFreePort(used);
    used.add(port);
    const name = `node${i + 1}`;
    const nodeDir = join(dataRoot, name);
    nodes.push({
      name,
      role: i === 0 ? 'primary' : 'replica',
      port,
      nodeDir,
      dataDir: join(nodeDir, 'data'),
      logFile: join(nodeDir, 'server.log'),
      socketDir: socketDirFits(nodeDir) ? nodeDir : null,
    });
  }
  const state: ClusterState = {
    version: 1,
    provider: 'local',
    status: 'creating',
    host: HOST,
    user: options.user,
    database: options.database,
    extensions: options.extensions,
    synchronous: options.synchronous,
    fast: options.fast,
    dataRoot,
    binDir: pg.binDir,
    nodes,
  };
  const password = options.password ?? randomBytes(18).toString('base64url');
  writePasswordFile(baseDir, password);
  writeClusterState(baseDir, state);

  const cluster = new LocalCluster(baseDir, state, password, pg, options.log);
  try {
    await cluster.create();
  } catch (error) {
    options.log(`cluster creation failed; server logs:\n${await cluster.logs(undefined, 20)}`);
    await cluster.stop({ purge: true }).catch(() => cluster.destroySync());
    throw error;
  }
  options.log(`cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${baseDir})`);
  return cluster;
}

/**
 * Re-attaches to a local cluster from its `<baseDir>/cluster.json` (running or stopped).
 *
 * @throws PgClusterError `CONFIG_NOT_FOUND` when `baseDir` holds no cluster.
 * @example
 * ```ts
 * const cluster = attachLocalCluster('.pgcluster/dev')
 * ```
 */
export function attachLocalCluster(baseDir: string, log: (line: string) => void = () => undefined): ClusterHandle {
  const dir = resolve(baseDir);
  const state = readClusterState(dir);
  const cluster = new LocalCluster(dir, state, readPasswordFile(dir), createPgRunner(state.binDir), log);
  cluster.refreshRoles(); // a failover since the last run moved the roles
  return cluster;
}

class LocalCluster implements ClusterHandle {
  readonly provider = 'local' as const;

  constructor(
    readonly baseDir: string,
    private readonly state: ClusterState,
    private readonly password: string,
    private readonly pg: PgRunner,
    private readonly log: (line: string) => void,
  ) {}

  /** The nodes with the roles last learnt (from standby.signal at attach, start and restart: a failover moves them). */
  get nodes(): readonly NodeHandle[] {
    return this.state.nodes.map((n) => ({
      name: n.name,
      role: this.roleOf(n),
      host: this.state.host,
      port: n.port,
      dataDir: n.dataDir,
      logFile: n.logFile,
      url: (database?: string) => this.nodeUrl(n, database),
    }));
  }

  get database(): string {
    return this.state.database;
  }

  get user(): string {
    return this.state.user;
  }

  get primary(): NodeHandle {
    const nodes = this.nodes;
    const primaries = nodes.filter((n) => n.role === 'primary');
    return primaries.find((n) => this.running(this.stateNode(n.name))) ?? primaries[0] ?? nodes[0]!;
  }

  get replicas(): readonly NodeHandle[] {
    return this.nodes.filter((n) => n.role === 'replica');
  }

  url(node?: NodeRef, database?: string): string {
    return this.nodeUrl(this.stateNode(node ?? this.primary), database);
  }

  /** Runs every creation step; the caller cleans up on failure. */
  async create(): Promise<void> {
    const [primary, ...replicas] = this.state.nodes as [ClusterStateNode, ...ClusterStateNode[]];
    await this.initPrimary(primary);
    await this.startNode(primary);
    this.log(`${primary.name} (primary) up on ${HOST}:${primary.port}`);
    await this.createDatabase(primary);
    await Promise.all(replicas.map((r) => this.createReplica(primary, r)));
    await waitForStreaming(this.nodeUrl(primary, 'postgres'), replicas.map((r) => r.name), 60_000, replicas.map((r) => r.logFile));
    if (replicas.length > 0) this.log(`${replicas.map((r) => r.name).join(', ')} streaming from ${primary.name}`);
    // From here on the cluster is complete; the primary's conf now names its synchronous standbys.
    this.state.status = 'ready';
    if (this.state.synchronous) {
      this.writeConf(primary);
      await withClient({ url: this.nodeUrl(primary, 'postgres') }, 'reloading the configuration', (c) => c.query('select pg_reload_conf()'));
      await waitForStreaming(this.nodeUrl(primary, 'postgres'), replicas.map((r) => r.name), 60_000, replicas.map((r) => r.logFile), true);
      this.log(`synchronous replication: ANY 1 (${replicas.map((r) => r.name).join(', ')})`);
    }
    writeClusterState(this.baseDir, this.state);
  }

  async status(): Promise<NodeStatus[]> {
    return queryNodeStatuses(this.state.nodes.map((n) => ({ name: n.name, role: n.role, host: this.state.host, port: n.port, url: this.nodeUrl(n, 'postgres') })));
  }

  async rejoin(node: NodeRef): Promise<void> {
    this.refreshRoles();
    const n = this.stateNode(node);
    const primary = this.state.nodes.find((x) => x.name !== n.name && x.role === 'primary' && this.running(x));
    if (!primary) {
      throw new PgClusterError('ACTION_FAILED', `${n.name} cannot rejoin: no other node runs as primary`, {
        hint: 'Start the cluster first (`pgcluster dev up`), or promote a replica (`pgcluster cluster-failover --action failover --yes`).',
      });
    }
    await this.ensureSlot(primary, n);
    n.role = 'replica';
    if (this.state.fast) {
      // fsync and full_page_writes are off: pg_rewind cannot work, so the node is cloned afresh.
      this.log(`${n.name}: re-cloning from ${primary.name} (a fast cluster has no full_page_writes for pg_rewind)`);
      if (this.running(n)) await this.stopNode(n);
      rmSync(n.dataDir, { recursive: true, force: true });
      await this.createReplica(primary, n, false);
    } else {
      this.log(`${n.name}: rejoining as a replica of ${primary.name} (pg_rewind when it diverged)`);
      this.writeConf(n);
      await rejoinAsStandby(n.dataDir, {
        run: this.runServer,
        sourceUrl: this.nodeUrl(primary, 'postgres'),
        passfile: this.passfile(n),
        applicationName: n.name,
        slot: n.name,
        rewind: true,
        logFile: n.logFile,
        label: n.name,
      });
    }
    writeClusterState(this.baseDir, this.state);
    await waitForStreaming(this.nodeUrl(primary, 'postgres'), [n.name], 60_000, [n.logFile]);
    this.log(`${n.name} streams from ${primary.name}`);
  }

  async isRunning(node: NodeRef): Promise<boolean> {
    return this.running(this.stateNode(node));
  }

  async kill(node: NodeRef): Promise<void> {
    const n = this.stateNode(node);
    const pid = runningPostmaster(n.dataDir);
    if (pid === undefined) return;
    const children = killPostmaster(pid);
    this.log(`${n.name}: postmaster ${pid} killed (SIGKILL)`);
    await waitUntilGone([pid, ...children]);
  }

  async restart(node: NodeRef): Promise<void> {
    const n = this.stateNode(node);
    if (this.running(n)) await this.stopNode(n);
    this.refreshRoles();
    // An old primary never comes back as a second primary while another node leads: it follows that one.
    if (n.role === 'primary' && this.state.nodes.some((x) => x !== n && x.role === 'primary' && this.running(x))) return this.rejoin(n.name);
    await this.startNode(n);
    this.log(`${n.name} up again on ${HOST}:${n.port}`);
  }

  async start(): Promise<void> {
    if (this.state.status !== 'ready') {
      throw new PgClusterError('ACTION_FAILED', `the cluster in ${this.baseDir} was never completely created`, {
        hint: 'Remove it with stop({ purge: true }) (`pgcluster dev down --purge`) and create it again.',
      });
    }
    const { primary, stale } = await this.currentPrimary();
    if (!this.running(primary)) await this.restart(primary.name);
    const replicas = this.state.nodes.filter((r) => r !== primary && !stale.includes(r));
    await Promise.all(replicas.filter((r) => !this.running(r)).map((r) => this.restart(r.name)));
    // An old primary (a failover left it stopped) never starts as a second primary: it follows the current one.
    for (const old of stale) await this.rejoin(old.name);
    const followers = this.state.nodes.filter((r) => r !== primary);
    await waitForStreaming(this.nodeUrl(primary, 'postgres'), followers.map((r) => r.name), 60_000, followers.map((r) => r.logFile));
  }

  /**
   * The primary now: the one node without standby.signal, or among several (a failover promoted a
   * replica while the old primary was stopped) the running one, else the one on the highest timeline.
   */
  private async currentPrimary(): Promise<{ primary: ClusterStateNode; stale: ClusterStateNode[] }> {
    this.refreshRoles();
    const candidates = this.state.nodes.filter((n) => n.role === 'primary');
    if (candidates.length === 1) return { primary: candidates[0]!, stale: [] };
    if (candidates.length === 0) {
      throw new PgClusterError('ACTION_FAILED', `no node of ${this.baseDir} is a primary (every data directory holds standby.signal)`, {
        hint: 'Promote one: pg_ctl promote -D <its data dir> once it runs, or `pgcluster dev down --purge` and `pgcluster dev up`.',
      });
    }
    const running = candidates.filter((n) => this.running(n));
    let primary = running.length === 1 ? running[0]! : undefined;
    if (!primary) {
      if (running.length > 1) throw new PgClusterError('ACTION_FAILED', `split brain: ${running.map((n) => n.name).join(', ')} all run as primaries`, { hint: `Stop all but one and run \`pgcluster dev rejoin <node>\` for each stopped one.` });
      const timelines = await Promise.all(candidates.map(async (n) => (await controlData(n.dataDir, this.runServer)).timeline));
      primary = candidates[timelines.indexOf(Math.max(...timelines))]!;
    }
    const current = primary;
    this.log(`${current.name} is the current primary; ${candidates.filter((n) => n !== current).map((n) => n.name).join(', ')} will rejoin as replica(s)`);
    return { primary: current, stale: candidates.filter((n) => n !== current) };
  }

  /** A node's role as its data directory says (standby.signal), once the cluster is complete. */
  private roleOf(n: ClusterStateNode): ClusterStateNode['role'] {
    if (this.state.status !== 'ready' || !existsSync(join(n.dataDir, 'PG_VERSION'))) return n.role;
    return existsSync(join(n.dataDir, 'standby.signal')) ? 'replica' : 'primary';
  }

  /** Learns each node's role from its data directory and records it in cluster.json. */
  refreshRoles(): void {
    let changed = false;
    for (const n of this.state.nodes) {
      const role = this.roleOf(n);
      if (role !== n.role) {
        n.role = role;
        changed = true;
      }
    }
    if (changed) writeClusterState(this.baseDir, this.state);
  }

  async stop(options: StopClusterOptions = {}): Promise<void> {
    this.refreshRoles();
    // Replicas first: a primary's fast shutdown then has no walsender to wait for.
    await Promise.all(this.state.nodes.filter((n) => n.role === 'replica').map((r) => this.stopNode(r)));
    await Promise.all(this.state.nodes.filter((n) => n.role === 'primary').map((p) => this.stopNode(p)));
    if (options.purge) this.purge();
  }

  destroySync(): void {
    for (const n of this.state.nodes) {
      const pid = runningPostmaster(n.dataDir);
      if (pid === undefined) continue;
      for (const child of killPostmaster(pid)) signal(child, 'SIGKILL');
    }
    this.purge();
  }

  async logs(node?: NodeRef, lines = 50): Promise<string> {
    const selected = node === undefined ? this.state.nodes : [this.stateNode(node)];
    return selected.map((n) => `==> ${n.name}: ${n.logFile} and ${join(n.dataDir, LOG_DIRECTORY)} <==\n${readServerLog(n.dataDir, n.logFile, lines)}`).join('\n');
  }

  private nodeUrl(n: ClusterStateNode, database?: string): string {
    return postgresUrl({ user: this.state.user, password: this.password, host: this.state.host, port: n.port, database: database ?? this.state.database });
  }

  private stateNode(ref: NodeRef): ClusterStateNode {
    const name = typeof ref === 'string' ? ref : ref.name;
    const found = this.state.nodes.find((n) => n.name === name);
    if (!found) throw new InputError('node', `must be one of ${this.state.nodes.map((n) => n.name).join(', ')} (got ${name})`);
    return found;
  }

  private running(n: ClusterStateNode): boolean {
    return runningPostmaster(n.dataDir) !== undefined;
  }

  /** pg_ctl, pg_rewind, pg_controldata through this cluster's runner (as `postgres` when we are root). */
  private readonly runServer: ServerProgramRunner = (program, args, env) => this.pg.run(program, args, env ? { env } : {});

  /** The node's libpq password file (mode 600, the server's user's): replication and pg_rewind read the password there. */
  private passfile(n: ClusterStateNode): string {
    const path = join(n.nodeDir, 'pgpass');
    if (!existsSync(path)) writePassfile(path, this.state.user, this.password, statSync(n.nodeDir));
    return path;
  }

  private async ensureSlot(primary: ClusterStateNode, n: ClusterStateNode): Promise<void> {
    await withClient({ url: this.nodeUrl(primary, 'postgres') }, `replication slot for ${n.name}`, (c) =>
      c.query('select pg_create_physical_replication_slot($1) where not exists (select 1 from pg_replication_slots where slot_name = $1)', [n.name]),
    );
  }

  private makeNodeDir(n: ClusterStateNode): void {
    mkdirSync(n.nodeDir, { recursive: true, mode: 0o700 });
    this.pg.own(n.nodeDir);
    this.passfile(n);
  }

  private writeNodeFile(path: string, content: string): void {
    writeFileSync(path, content, { mode: 0o600 });
    this.pg.own(path);
  }

  private writeConf(n: ClusterStateNode): void {
    const primary = this.state.nodes.find((x) => x.role === 'primary' && x !== n) ?? this.state.nodes[0]!;
    const replicaNames = this.state.nodes.filter((x) => x.role === 'replica').map((x) => x.name);
    const conf = renderPostgresqlConf({
      port: n.port,
      socketDir: n.socketDir,
      replicas: replicaNames.length,
      fast: this.state.fast,
      ...(n.role === 'replica'
        ? { upstream: { host: this.state.host, port: primary.port, user: this.state.user, passfile: this.passfile(n), name: n.name } }
        : {}),
      ...(n.role === 'primary' && this.state.synchronous && this.state.status === 'ready' ? { synchronousStandbys: replicaNames } : {}),
    });
    this.writeNodeFile(join(n.dataDir, 'postgresql.conf'), conf);
  }

  private async initPrimary(n: ClusterStateNode): Promise<void> {
    this.makeNodeDir(n);
    this.log(`${n.name}: initdb`);
    const pwfile = join(n.nodeDir, '.initdb-password');
    this.writeNodeFile(pwfile, `${this.password}\n`);
    try {
      await this.pg.run('initdb', [
        '-D', n.dataDir,
        '-U', this.state.user,
        `--pwfile=${pwfile}`,
        '--auth-local=trust',
        '--auth-host=scram-sha-256',
        '-E', 'UTF8',
        '--locale=C',
        ...(this.state.fast ? ['--no-sync'] : []),
      ]);
    } finally {
      rmSync(pwfile, { force: true });
    }
    this.writeConf(n);
    this.writeNodeFile(join(n.dataDir, 'pg_hba.conf'), renderPgHba());
  }

  private async createDatabase(primary: ClusterStateNode): Promise<void> {
    const { database, extensions } = this.state;
    await withClient({ url: this.nodeUrl(primary, 'postgres') }, `creating database ${database}`, async (c) => {
      const found = await c.query('select 1 from pg_database where datname = $1', [database]);
      if (found.rowCount === 0) await c.query(`create database ${quoteIdent(database)}`);
    });
    await withClient({ url: this.nodeUrl(primary) }, `creating extensions in ${database}`, async (c) => {
      for (const ext of extensions) await c.query(`create extension if not exists ${quoteIdent(ext)}`);
    });
    this.log(`database ${database} with extensions ${extensions.join(', ') || '(none)'}`);
  }

  private async createReplica(primary: ClusterStateNode, n: ClusterStateNode, createSlot = true): Promise<void> {
    this.makeNodeDir(n);
    this.log(`${n.name}: base backup from ${primary.name} (slot ${n.name})`);
    await this.pg.run(
      'pg_basebackup',
      [
        '-h', this.state.host,
        '-p', String(primary.port),
        '-U', this.state.user,
        '-w',
        '-D', n.dataDir,
        '-X', 'stream',
        ...(createSlot ? ['-C'] : []), '-S', n.name,
        '--checkpoint=fast',
        ...(this.state.fast ? ['--no-sync'] : []),
      ],
      // Security: the password comes from the node's passfile, never the command line (visible in ps) or the environment.
      { env: { PGPASSFILE: this.passfile(n) } },
    );
    this.writeConf(n);
    // The copy carries the source's server logs: this node's own start with an empty log folder.
    rmSync(join(n.dataDir, LOG_DIRECTORY), { recursive: true, force: true });
    rmSync(join(n.dataDir, 'current_logfiles'), { force: true });
    // The copy carries the source's postgresql.auto.conf, which may name another upstream (a failover's ALTER SYSTEM): it wins over postgresql.conf.
    writeStandbyConfig(n.dataDir, {
      conninfo: standbyConninfo({ host: this.state.host, port: primary.port, user: this.state.user, passfile: this.passfile(n), applicationName: n.name }),
      slot: n.name,
    });
    await this.startNode(n);
    this.log(`${n.name} (replica) up on ${HOST}:${n.port}`);
  }

  private async startNode(n: ClusterStateNode): Promise<void> {
    // A killed postmaster can stay an unreaped zombie that PostgreSQL takes for a live server: startDataDir clears its lock files.
    await startDataDir(n.dataDir, { run: this.runServer, logFile: n.logFile, label: `${n.name} (${HOST}:${n.port})`, port: n.port, socketDirs: n.socketDir ? [n.socketDir] : [] });
  }

  private async stopNode(n: ClusterStateNode): Promise<void> {
    const pid = runningPostmaster(n.dataDir);
    if (pid === undefined) return;
    try {
      await this.pg.run('pg_ctl', ['stop', '-D', n.dataDir, '-m', 'fast', '-w', '-t', '30', '-s']);
    } catch {
      this.log(`${n.name}: fast shutdown failed; killing postmaster ${pid}`);
      await waitUntilGone([pid, ...killPostmaster(pid)]);
    }
  }

  private purge(): void {
    for (const n of this.state.nodes) rmSync(n.nodeDir, { recursive: true, force: true });
    if (this.state.dataRoot !== this.baseDir) rmSync(this.state.dataRoot, { recursive: true, force: true });
    for (const file of [CLUSTER_STATE_FILE, `${CLUSTER_STATE_FILE}.tmp`, PASSWORD_FILE]) rmSync(join(this.baseDir, file), { force: true });
    try {
      rmdirSync(this.baseDir); // only when empty: never delete what the caller put beside the cluster
    } catch {
      // Not empty, or already gone.
    }
  }
}
