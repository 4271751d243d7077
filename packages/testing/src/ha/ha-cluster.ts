import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError, PgClusterError, withClient } from '@pgcluster/core';
import type { NodeHandle, NodeRef, NodeStatus, StopClusterOptions } from '../cluster/cluster-handle';
import type { ResolvedClusterOptions } from '../cluster/cluster-options';
import { postgresUrl } from '../cluster/postgres-url';
import { queryNodeStatuses } from '../cluster/query-node-status';
import { waitForStreaming } from '../cluster/wait-for-streaming';
import { CLUSTER_STATE_FILE } from '../local/cluster-state';
import { chooseDataRoot, quoteIdent, tailFile } from '../local/data-root';
import { findFreePort } from '../local/free-port';
import { createPgRunner, type PgRunner } from '../local/pg-runner';
import { socketDirFits } from '../local/postgres-conf';
import { isPostgresAlive, killPostmaster, readPostmasterPid, signal, sleep, waitUntilGone } from '../local/postmaster';
import type { HaClusterHandle } from './ha-cluster-handle';
import {
  HA_SECRETS_FILE,
  HA_STATE_FILE,
  readHaSecrets,
  readHaState,
  writeHaSecrets,
  writeHaState,
  type HaSecrets,
  type HaState,
  type HaStateNode,
} from './ha-state';
import { isLeaderRole, patroniMembers, waitForPatroni, type PatroniMember } from './patroni-api';
import { HA_TIMINGS, renderPatroniConfig } from './patroni-config';
import { renderAuthFileLine, renderPgbouncerDatabases, renderPgbouncerIni, renderRoleChangeScript, scramSecret } from './pgbouncer-config';
import { isProcessAlive, spawnDaemon, terminate } from './server-process';

const HOST = '127.0.0.1';
const ETCD_BIN = '/usr/bin/etcd';
const PATRONI_BIN = '/usr/bin/patroni';
const PGBOUNCER_BIN = '/usr/sbin/pgbouncer';
const REPLICATION_USER = 'replicator';
const ADMIN_USER = 'pgbouncer_admin';
/** 1 MiB: a replica further behind is not promoted by Patroni. */
const MAXIMUM_LAG_ON_FAILOVER = 1024 * 1024;

/**
 * Creates an HA cluster on loopback: one etcd (v3 API), one Patroni per node (node1 bootstraps
 * and leads; the others clone from it and stream), the database and extensions, and PgBouncer
 * in transaction mode in front of the leader. Every server runs as the `postgres` OS user when
 * we are root. On any failure everything created so far is stopped and removed.
 *
 * @example
 * ```ts
 * const cluster = await startHaCluster(resolveClusterOptions({ ha: true, replicas: 2 }, process.env))
 * ```
 */
export async function startHaCluster(options: ResolvedClusterOptions): Promise<HaClusterHandle> {
  for (const bin of [ETCD_BIN, PATRONI_BIN, PGBOUNCER_BIN]) {
    if (!existsSync(bin)) {
      throw new PgClusterError('NOT_SUPPORTED', `ha: ${bin} is missing`, {
        hint: 'Install the Debian packages patroni, etcd-server and pgbouncer (scripts/setup-system.sh).',
      });
    }
  }
  const started = Date.now();
  const pg = createPgRunner();
  const baseDir = options.baseDir ? resolve(options.baseDir) : mkdtempSync(join(tmpdir(), 'pgcluster-ha-'));
  mkdirSync(baseDir, { recursive: true, mode: 0o711 });
  if (existsSync(join(baseDir, HA_STATE_FILE)) || existsSync(join(baseDir, CLUSTER_STATE_FILE))) {
    throw new InputError('baseDir', `${baseDir} already holds a cluster; re-attach with attachCluster() or choose another folder`);
  }
  if (!options.baseDir && pg.asServerUser) chmodSync(baseDir, 0o711);
  const dataRoot = chooseDataRoot(pg, baseDir, HA_STATE_FILE, options.log);

  const used = new Set<number>();
  const port = async () => {
    const p = await findFreePort(used);
    used.add(p);
    return p;
  };
  const nodes: HaStateNode[] = [];
  for (let i = 0; i <= options.replicas; i += 1) {
    const name = `node${i + 1}`;
    const nodeDir = join(dataRoot, name);
    nodes.push({
      name,
      role: i === 0 ? 'primary' : 'replica',
      port: await port(),
      restPort: await port(),
      nodeDir,
      dataDir: join(nodeDir, 'data'),
      configFile: join(nodeDir, 'patroni.yml'),
      pidFile: join(nodeDir, 'patroni.pid'),
      logFile: join(nodeDir, 'patroni.log'),
      socketDir: socketDirFits(nodeDir) ? nodeDir : null,
    });
  }
  const etcdDir = join(dataRoot, 'etcd');
  const bouncerDir = join(dataRoot, 'pgbouncer');
  const state: HaState = {
    version: 1,
    kind: 'ha',
    status: 'creating',
    scope: `pgcluster-${randomBytes(4).toString('hex')}`,
    host: HOST,
    user: options.user,
    database: options.database,
    extensions: options.extensions,
    synchronous: options.synchronous,
    fast: options.fast,
    dataRoot,
    binDir: pg.binDir,
    timings: { ...HA_TIMINGS },
    etcd: { clientPort: await port(), peerPort: await port(), dataDir: join(etcdDir, 'data'), pidFile: join(etcdDir, 'etcd.pid'), logFile: join(etcdDir, 'etcd.log') },
    pgbouncer: {
      port: await port(),
      dir: bouncerDir,
      iniFile: join(bouncerDir, 'pgbouncer.ini'),
      databasesFile: join(bouncerDir, 'databases.ini'),
      pidFile: join(bouncerDir, 'pgbouncer.pid'),
      logFile: join(bouncerDir, 'pgbouncer.log'),
      adminUser: ADMIN_USER,
    },
    nodes,
  };
  const secrets: HaSecrets = {
    password: options.password ?? randomBytes(18).toString('base64url'),
    replicationPassword: randomBytes(18).toString('base64url'),
    adminPassword: randomBytes(18).toString('base64url'),
  };
  writeHaSecrets(baseDir, secrets);
  writeHaState(baseDir, state);

  const cluster = new HaCluster(baseDir, state, secrets, pg, options.log);
  try {
    await cluster.create();
  } catch (error) {
    options.log(`HA cluster creation failed; logs:\n${await cluster.logs(undefined, 20)}`);
    await cluster.stop({ purge: true }).catch(() => cluster.destroySync());
    throw error;
  }
  options.log(`HA cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s (${baseDir})`);
  return cluster;
}

/**
 * Re-attaches to an HA cluster from its `<baseDir>/ha-cluster.json` (running or stopped).
 *
 * @throws PgClusterError `CONFIG_NOT_FOUND` when `baseDir` holds no HA cluster.
 * @example
 * ```ts
 * const cluster = attachHaCluster('.pgcluster/dev')
 * ```
 */
export function attachHaCluster(baseDir: string, log: (line: string) => void = () => undefined): HaClusterHandle {
  const dir = resolve(baseDir);
  const state = readHaState(dir);
  return new HaCluster(dir, state, readHaSecrets(dir), createPgRunner(state.binDir), log);
}

function readPid(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').trim().split('\n', 1)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

class HaCluster implements HaClusterHandle {
  readonly provider = 'local' as const;
  readonly ha = true as const;
  readonly nodes: readonly NodeHandle[];

  constructor(
    readonly baseDir: string,
    private readonly state: HaState,
    private readonly secrets: HaSecrets,
    private readonly pg: PgRunner,
    private readonly log: (line: string) => void,
  ) {
    this.nodes = state.nodes.map((n) => ({
      name: n.name,
      role: n.role,
      host: state.host,
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

  get timings(): HaState['timings'] {
    return { ...this.state.timings };
  }

  get primary(): NodeHandle {
    return this.nodes.find((n) => n.role === 'primary') ?? this.nodes[0]!;
  }

  get replicas(): readonly NodeHandle[] {
    return this.nodes.filter((n) => n.role === 'replica');
  }

  url(node?: NodeRef, database?: string): string {
    return this.nodeUrl(this.stateNode(node ?? this.primary), database);
  }

  patroniUrl(node?: NodeRef): string {
    return `http://${this.state.host}:${this.stateNode(node ?? this.primary).restPort}`;
  }

  etcdUrl(): string {
    return `http://${this.state.host}:${this.state.etcd.clientPort}`;
  }

  pgbouncerUrl(database?: string): string {
    return postgresUrl({ user: this.state.user, password: this.secrets.password, host: this.state.host, port: this.state.pgbouncer.port, database: database ?? this.state.database });
  }

  pgbouncerAdminUrl(): string {
    return postgresUrl({ user: this.state.pgbouncer.adminUser, password: this.secrets.adminPassword, host: this.state.host, port: this.state.pgbouncer.port, database: 'pgbouncer' });
  }

  pgbouncerConfigFile(): string {
    return this.state.pgbouncer.iniFile;
  }

  async members(): Promise<PatroniMember[]> {
    for (const n of this.state.nodes) {
      const members = await patroniMembers(this.patroniUrl(n.name), 1_000);
      if (members) return members;
    }
    return [];
  }

  async leader(): Promise<string | undefined> {
    return (await this.members()).find((m) => isLeaderRole(m.role) && m.state === 'running')?.name;
  }

  /** Runs every creation step; the caller cleans up on failure. */
  async create(): Promise<void> {
    const [first, ...others] = this.state.nodes as [HaStateNode, ...HaStateNode[]];
    await this.startEtcd();
    for (const n of this.state.nodes) this.prepareNode(n);
    this.preparePgbouncer(first);
    this.startPatroni(first);
    await waitForPatroni([this.patroniUrl(first.name)], (m) => m.some((x) => x.name === first.name && isLeaderRole(x.role) && x.state === 'running'), `leader ${first.name}`, 90_000);
    this.log(`${first.name} (Patroni leader) up on ${HOST}:${first.port}, REST ${HOST}:${first.restPort}`);
    await this.createDatabase(first);
    for (const n of others) this.startPatroni(n);
    await waitForStreaming(this.nodeUrl(first, 'postgres'), others.map((n) => n.name), 120_000);
    if (others.length > 0) this.log(`${others.map((n) => n.name).join(', ')} streaming from ${first.name}`);
    const names = this.state.nodes.map((n) => n.name);
    await waitForPatroni([this.patroniUrl(first.name)], (m) => names.every((name) => m.some((x) => x.name === name && ['running', 'streaming'].includes(x.state))), 'member list with every node running', 60_000);
    await this.writeAuthFile(first);
    await this.startPgbouncer();
    if (this.state.synchronous && others.length > 0) {
      await waitForPatroni([this.patroniUrl(first.name)], (m) => m.some((x) => x.role === 'sync_standby'), 'synchronous standby', 60_000);
      this.log('synchronous_mode: a commit waits for the synchronous standby Patroni chose');
    }
    this.state.status = 'ready';
    writeHaState(this.baseDir, this.state);
  }

  async status(): Promise<NodeStatus[]> {
    return queryNodeStatuses(this.state.nodes.map((n) => ({ name: n.name, role: n.role, host: this.state.host, port: n.port, url: this.nodeUrl(n, 'postgres') })));
  }

  async isRunning(node: NodeRef): Promise<boolean> {
    return this.postgresRunning(this.stateNode(node));
  }

  async kill(node: NodeRef): Promise<void> {
    const n = this.stateNode(node);
    const pid = readPostmasterPid(n.dataDir);
    if (pid === undefined || !isPostgresAlive(pid)) return;
    const children = killPostmaster(pid);
    this.log(`${n.name}: postmaster ${pid} killed (SIGKILL)`);
    await waitUntilGone([pid, ...children]);
  }

  async crash(node: NodeRef): Promise<void> {
    const n = this.stateNode(node);
    const pid = readPid(n.pidFile);
    if (isProcessAlive(pid, 'patroni')) signal(pid!, 'SIGKILL');
    await this.kill(n.name);
    await terminate(pid, 'patroni', 0);
    this.log(`${n.name}: Patroni and postmaster killed (SIGKILL)`);
  }

  async restart(node: NodeRef): Promise<void> {
    const n = this.stateNode(node);
    if (!this.patroniRunning(n)) {
      await this.clearStalePostmaster(n);
      this.startPatroni(n);
    } else if (this.postgresRunning(n)) {
      const res = await fetch(new URL('/restart', this.patroniUrl(n.name)), { method: 'POST', body: '{}', signal: AbortSignal.timeout(60_000) });
      if (!res.ok) throw new PgClusterError('ACTION_FAILED', `Patroni refused to restart ${n.name}: HTTP ${res.status}`);
    }
    await this.waitUntilAnswers(n, 90_000);
    this.log(`${n.name} up again on ${HOST}:${n.port}`);
  }

  async start(): Promise<void> {
    if (this.state.status !== 'ready') {
      throw new PgClusterError('ACTION_FAILED', `the HA cluster in ${this.baseDir} was never completely created`, {
        hint: 'Remove it with stop({ purge: true }) (`pgcluster dev down --purge`) and create it again.',
      });
    }
    if (!isProcessAlive(readPid(this.state.etcd.pidFile), 'etcd')) await this.startEtcd();
    for (const n of this.state.nodes) {
      if (!this.patroniRunning(n)) {
        await this.clearStalePostmaster(n);
        this.startPatroni(n);
      }
    }
    const apis = this.state.nodes.map((n) => this.patroniUrl(n.name));
    const names = this.state.nodes.map((n) => n.name);
    const members = await waitForPatroni(
      apis,
      (m) => m.some((x) => isLeaderRole(x.role) && x.state === 'running') && names.every((name) => m.some((x) => x.name === name && ['running', 'streaming'].includes(x.state))),
      'leader with every member running',
      120_000,
    );
    const leader = this.state.nodes.find((n) => members.some((m) => m.name === n.name && isLeaderRole(m.role)))!;
    if (!isProcessAlive(readPid(this.state.pgbouncer.pidFile), 'pgbouncer')) {
      this.writeFile(this.state.pgbouncer.databasesFile, renderPgbouncerDatabases(this.state.host, leader.port));
      await this.startPgbouncer();
    }
  }

  async stop(options: StopClusterOptions = {}): Promise<void> {
    await terminate(readPid(this.state.pgbouncer.pidFile), 'pgbouncer');
    // Replicas first, so that the leader's shutdown does not hand leadership around.
    const leader = await this.leader().catch(() => undefined);
    const order = [...this.state.nodes].sort((a, b) => Number(a.name === leader) - Number(b.name === leader));
    const replicas = order.filter((n) => n.name !== leader);
    await Promise.all(replicas.map((n) => this.stopNode(n)));
    await Promise.all(order.filter((n) => n.name === leader).map((n) => this.stopNode(n)));
    await terminate(readPid(this.state.etcd.pidFile), 'etcd');
    if (options.purge) this.purge();
  }

  destroySync(): void {
    const pids: Array<[number | undefined, string]> = [
      [readPid(this.state.pgbouncer.pidFile), 'pgbouncer'],
      ...this.state.nodes.map((n): [number | undefined, string] => [readPid(n.pidFile), 'patroni']),
      [readPid(this.state.etcd.pidFile), 'etcd'],
    ];
    for (const [pid, program] of pids) if (isProcessAlive(pid, program)) signal(pid!, 'SIGKILL');
    for (const n of this.state.nodes) {
      const pid = readPostmasterPid(n.dataDir);
      if (pid === undefined || !isPostgresAlive(pid)) continue;
      for (const child of killPostmaster(pid)) signal(child, 'SIGKILL');
    }
    this.purge();
  }

  async logs(node?: NodeRef, lines = 50): Promise<string> {
    const selected = node === undefined ? this.state.nodes : [this.stateNode(node)];
    const parts = selected.map((n) => `==> ${n.name}: ${n.logFile} <==\n${tailFile(n.logFile, lines)}`);
    if (node === undefined) {
      parts.push(`==> etcd: ${this.state.etcd.logFile} <==\n${tailFile(this.state.etcd.logFile, Math.min(lines, 10))}`);
      parts.push(`==> pgbouncer: ${this.state.pgbouncer.logFile} <==\n${tailFile(this.state.pgbouncer.logFile, lines)}`);
    }
    return parts.join('\n');
  }

  private nodeUrl(n: HaStateNode, database?: string): string {
    return postgresUrl({ user: this.state.user, password: this.secrets.password, host: this.state.host, port: n.port, database: database ?? this.state.database });
  }

  private stateNode(ref: NodeRef): HaStateNode {
    const name = typeof ref === 'string' ? ref : ref.name;
    const found = this.state.nodes.find((n) => n.name === name);
    if (!found) throw new InputError('node', `must be one of ${this.state.nodes.map((n) => n.name).join(', ')} (got ${name})`);
    return found;
  }

  private postgresRunning(n: HaStateNode): boolean {
    const pid = readPostmasterPid(n.dataDir);
    return pid !== undefined && isPostgresAlive(pid);
  }

  private patroniRunning(n: HaStateNode): boolean {
    return isProcessAlive(readPid(n.pidFile), 'patroni');
  }

  private makeDir(dir: string): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.pg.own(dir);
  }

  private writeFile(path: string, content: string, mode = 0o600): void {
    writeFileSync(path, content, { mode });
    chmodSync(path, mode);
    this.pg.own(path);
  }

  private async startEtcd(): Promise<void> {
    const { etcd, host, scope } = this.state;
    this.makeDir(join(etcd.dataDir, '..'));
    const client = `http://${host}:${etcd.clientPort}`;
    const peer = `http://${host}:${etcd.peerPort}`;
    const pid = spawnDaemon(
      ETCD_BIN,
      [
        '--name', 'etcd0',
        '--data-dir', etcd.dataDir,
        '--listen-client-urls', client,
        '--advertise-client-urls', client,
        '--listen-peer-urls', peer,
        '--initial-advertise-peer-urls', peer,
        '--initial-cluster', `etcd0=${peer}`,
        '--initial-cluster-token', scope,
        '--heartbeat-interval', '100',
        '--election-timeout', '1000',
        '--log-level', 'warn',
      ],
      { logFile: etcd.logFile, asServerUser: this.pg.asServerUser },
    );
    writeFileSync(etcd.pidFile, `${pid}\n`);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const res = await fetch(`${client}/health`, { signal: AbortSignal.timeout(1_000) });
        if (res.ok && ((await res.json()) as { health?: string }).health === 'true') break;
      } catch {
        // Not yet listening.
      }
      if (!isProcessAlive(pid, 'etcd') || Date.now() > deadline) {
        throw new PgClusterError('ACTION_FAILED', `etcd did not start on ${host}:${etcd.clientPort}: ${tailFile(etcd.logFile, 3)}`);
      }
      await sleep(100);
    }
    this.log(`etcd up on ${host}:${etcd.clientPort}`);
  }

  private prepareNode(n: HaStateNode): void {
    this.makeDir(n.nodeDir);
    const callback = join(n.nodeDir, 'on-role-change.sh');
    this.writeFile(callback, renderRoleChangeScript({ host: this.state.host, port: n.port, databasesFile: this.state.pgbouncer.databasesFile, pidFile: this.state.pgbouncer.pidFile }), 0o700);
    this.writeFile(
      n.configFile,
      renderPatroniConfig({
        scope: this.state.scope,
        name: n.name,
        host: this.state.host,
        port: n.port,
        restPort: n.restPort,
        etcdHosts: `${this.state.host}:${this.state.etcd.clientPort}`,
        dataDir: n.dataDir,
        binDir: this.state.binDir,
        pgpass: join(n.nodeDir, 'pgpass'),
        socketDir: n.socketDir,
        superuser: { username: this.state.user, password: this.secrets.password },
        replication: { username: REPLICATION_USER, password: this.secrets.replicationPassword },
        ...this.state.timings,
        maximumLagOnFailover: MAXIMUM_LAG_ON_FAILOVER,
        synchronous: this.state.synchronous,
        fast: this.state.fast,
        callback,
      }),
    );
  }

  private startPatroni(n: HaStateNode): void {
    const pid = spawnDaemon(PATRONI_BIN, [n.configFile], { logFile: n.logFile, asServerUser: this.pg.asServerUser, cwd: n.nodeDir });
    writeFileSync(n.pidFile, `${pid}\n`);
  }

  private async clearStalePostmaster(n: HaStateNode): Promise<void> {
    const pid = readPostmasterPid(n.dataDir);
    if (pid !== undefined && isPostgresAlive(pid)) {
      // Patroni is gone but its PostgreSQL runs on: stop it so the new Patroni starts from a clean state.
      await waitUntilGone([pid, ...killPostmaster(pid)]);
    }
  }

  private async createDatabase(leader: HaStateNode): Promise<void> {
    const { database, extensions } = this.state;
    await withClient({ url: this.nodeUrl(leader, 'postgres') }, `creating database ${database}`, async (c) => {
      const found = await c.query('select 1 from pg_database where datname = $1', [database]);
      if (found.rowCount === 0) await c.query(`create database ${quoteIdent(database)}`);
    });
    await withClient({ url: this.nodeUrl(leader) }, `creating extensions in ${database}`, async (c) => {
      for (const ext of extensions) await c.query(`create extension if not exists ${quoteIdent(ext)}`);
    });
    this.log(`database ${database} with extensions ${extensions.join(', ') || '(none)'}`);
  }

  private preparePgbouncer(leader: HaStateNode): void {
    const b = this.state.pgbouncer;
    this.makeDir(b.dir);
    this.writeFile(b.databasesFile, renderPgbouncerDatabases(this.state.host, leader.port), 0o644);
    this.writeFile(
      b.iniFile,
      renderPgbouncerIni({
        host: this.state.host,
        port: b.port,
        databasesFile: b.databasesFile,
        authFile: join(b.dir, 'userlist.txt'),
        pidFile: b.pidFile,
        logFile: b.logFile,
        adminUser: b.adminUser,
        defaultPoolSize: 10,
      }),
    );
  }

  /** The auth file holds SCRAM secrets only: the cluster user's as PostgreSQL stores it (so PgBouncer can log in with it), and the admin's. */
  private async writeAuthFile(leader: HaStateNode): Promise<void> {
    const secret = await withClient({ url: this.nodeUrl(leader, 'postgres') }, 'reading the SCRAM secret', async (c) => {
      const { rows } = await c.query<{ rolpassword: string }>('select rolpassword from pg_authid where rolname = $1', [this.state.user]);
      return rows[0]?.rolpassword;
    });
    if (!secret?.startsWith('SCRAM-SHA-256$')) throw new PgClusterError('ACTION_FAILED', `${this.state.user} has no SCRAM secret for PgBouncer`);
    const lines = [renderAuthFileLine(this.state.user, secret), renderAuthFileLine(this.state.pgbouncer.adminUser, scramSecret(this.secrets.adminPassword))];
    // Security: mode 600, owned by the server's OS user; secrets, never passwords.
    this.writeFile(join(this.state.pgbouncer.dir, 'userlist.txt'), `${lines.join('\n')}\n`);
  }

  private async startPgbouncer(): Promise<void> {
    const b = this.state.pgbouncer;
    rmSync(b.pidFile, { force: true });
    const pid = spawnDaemon(PGBOUNCER_BIN, [b.iniFile], { logFile: join(b.dir, 'pgbouncer.stderr.log'), asServerUser: this.pg.asServerUser });
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await withClient({ url: this.pgbouncerAdminUrl(), connectTimeoutMs: 1_000 }, 'PgBouncer admin console', (c) => c.query('SHOW VERSION'));
        break;
      } catch (error) {
        if (!isProcessAlive(pid, 'pgbouncer') || Date.now() > deadline) {
          throw new PgClusterError('ACTION_FAILED', `PgBouncer did not start on ${HOST}:${b.port}: ${tailFile(b.logFile, 3)} ${tailFile(join(b.dir, 'pgbouncer.stderr.log'), 3)}`, { cause: error });
        }
        await sleep(100);
      }
    }
    this.log(`PgBouncer (transaction pooling) up on ${HOST}:${b.port}, in front of the leader`);
  }

  private async waitUntilAnswers(n: HaStateNode, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await withClient({ url: this.nodeUrl(n, 'postgres'), connectTimeoutMs: 1_000 }, `ping ${n.name}`, (c) => c.query('select 1'));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new PgClusterError('TIMEOUT', `${n.name} did not answer within ${Math.round(timeoutMs / 1000)} s`, { cause: error });
        await sleep(200);
      }
    }
  }

  private async stopNode(n: HaStateNode): Promise<void> {
    // Patroni stops its PostgreSQL (fast shutdown) on SIGTERM before it exits.
    await terminate(readPid(n.pidFile), 'patroni', 30_000);
    const pid = readPostmasterPid(n.dataDir);
    if (pid === undefined || !isPostgresAlive(pid)) return;
    try {
      await this.pg.run('pg_ctl', ['stop', '-D', n.dataDir, '-m', 'fast', '-w', '-t', '20', '-s']);
    } catch {
      await waitUntilGone([pid, ...killPostmaster(pid)]);
    }
  }

  private purge(): void {
    for (const n of this.state.nodes) rmSync(n.nodeDir, { recursive: true, force: true });
    rmSync(join(this.state.etcd.dataDir, '..'), { recursive: true, force: true });
    rmSync(this.state.pgbouncer.dir, { recursive: true, force: true });
    if (this.state.dataRoot !== this.baseDir) rmSync(this.state.dataRoot, { recursive: true, force: true });
    for (const file of [HA_STATE_FILE, `${HA_STATE_FILE}.tmp`, HA_SECRETS_FILE]) rmSync(join(this.baseDir, file), { force: true });
    try {
      rmdirSync(this.baseDir);
    } catch {
      // Not empty, or already gone.
    }
  }
}
