import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgClusterError } from '@pgcluster/core';
import type { ClusterHandle, NodeHandle, NodeRef, NodeStatus } from '../cluster/cluster-handle';
import type { ResolvedClusterOptions } from '../cluster/cluster-options';
import { postgresUrl } from '../cluster/postgres-url';
import { queryNodeStatuses } from '../cluster/query-node-status';
import { waitForStreaming } from '../cluster/wait-for-streaming';

type Testcontainers = typeof import('testcontainers');
type StartedContainer = Awaited<ReturnType<InstanceType<Testcontainers['GenericContainer']>['start']>>;
type StartedNetwork = Awaited<ReturnType<InstanceType<Testcontainers['Network']>['start']>>;

/** The one line a caller sees when there is no Docker engine to run containers in. */
export const TESTCONTAINERS_SKIP_MESSAGE = 'testcontainers provider skipped: no Docker engine answers (docker info failed)';

/** The image the testcontainers provider starts from (PostgreSQL 15 with pgvector 0.8.0); `PGCLUSTER_TEST_IMAGE` overrides it. */
export const TESTCONTAINERS_BASE_IMAGE = 'pgvector/pgvector:0.8.0-pg15';

/**
 * Whether a Docker engine answers `docker info` within `timeoutMs`.
 *
 * @example
 * ```ts
 * if (!(await dockerEngineAnswers())) console.error(TESTCONTAINERS_SKIP_MESSAGE)
 * ```
 */
export function dockerEngineAnswers(timeoutMs = 5_000): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('docker', ['info'], { timeout: timeoutMs }, (error) => resolve(!error));
  });
}

/**
 * Starts the cluster in containers: a primary and `replicas` streaming replicas on a private
 * Docker network, each published on a random loopback port. `testcontainers` is loaded only here.
 *
 * @throws PgClusterError `NOT_SUPPORTED` with {@link TESTCONTAINERS_SKIP_MESSAGE} when no Docker engine answers.
 * @example
 * ```ts
 * const cluster = await startTestcontainersCluster(resolveClusterOptions({ provider: 'testcontainers' }, process.env))
 * ```
 */
export async function startTestcontainersCluster(options: ResolvedClusterOptions): Promise<ClusterHandle> {
  if (!(await dockerEngineAnswers())) {
    throw new PgClusterError('NOT_SUPPORTED', TESTCONTAINERS_SKIP_MESSAGE, {
      hint: 'Start a Docker engine, or use the local provider (PGCLUSTER_TEST_PROVIDER=local).',
    });
  }
  // Loaded lazily: nothing else pays for testcontainers and its Docker client.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tc = require('testcontainers') as Testcontainers;
  const password = options.password ?? randomBytes(18).toString('base64url');
  const image = await imageFor(tc, options);
  const network = await new tc.Network().start();
  const cluster = new TestcontainersCluster(network, options.user, password, options.database);
  try {
    options.log(`node1: starting ${image}`);
    const primary = await new tc.GenericContainer(image)
      .withNetwork(network)
      .withNetworkAliases('node1')
      .withEnvironment({ POSTGRES_USER: options.user, POSTGRES_PASSWORD: password, POSTGRES_DB: options.database, POSTGRES_HOST_AUTH_METHOD: 'scram-sha-256' })
      .withCopyContentToContainer([
        { content: 'echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"\n', target: '/docker-entrypoint-initdb.d/10-replication.sh', mode: 0o755 },
        {
          content: options.extensions.map((e) => `create extension if not exists "${e}";`).join('\n') + '\n',
          target: '/docker-entrypoint-initdb.d/20-extensions.sql',
        },
      ])
      .withCommand(['postgres', ...serverSettings(options)])
      .withExposedPorts(5432)
      .withWaitStrategy(tc.Wait.forLogMessage(/database system is ready to accept connections/, 2))
      .start();
    cluster.add('node1', 'primary', primary);
    const replicaNames = Array.from({ length: options.replicas }, (_, i) => `node${i + 2}`);
    await Promise.all(
      replicaNames.map(async (name) => {
        options.log(`${name}: base backup from node1`);
        const replica = await new tc.GenericContainer(image)
          .withNetwork(network)
          .withNetworkAliases(name)
          .withUser('postgres')
          // Security: the password reaches pg_basebackup and the walreceiver through PGPASSWORD only.
          .withEnvironment({ PGPASSWORD: password, PGUSER: options.user, NODE_NAME: name })
          .withEntrypoint(['bash', '-c', replicaScript(serverSettings(options))])
          .withExposedPorts(5432)
          .withWaitStrategy(tc.Wait.forLogMessage(/database system is ready to accept read.?only connections/))
          .start();
        cluster.add(name, 'replica', replica);
      }),
    );
    await waitForStreaming(cluster.url(undefined, 'postgres'), replicaNames);
    options.log(`cluster ready: ${cluster.nodes.map((n) => `${n.name} ${n.host}:${n.port}`).join(', ')}`);
    return cluster;
  } catch (error) {
    await cluster.stop().catch(() => cluster.destroySync());
    throw error;
  }
}

function serverSettings(options: ResolvedClusterOptions): string[] {
  const settings = [
    'shared_preload_libraries=pg_stat_statements',
    'wal_level=replica',
    `max_wal_senders=${options.replicas + 5}`,
    `max_replication_slots=${options.replicas + 5}`,
    'hot_standby=on',
    'hot_standby_feedback=on',
    'wal_keep_size=128MB',
    ...(options.fast ? ['fsync=off', 'full_page_writes=off'] : []),
  ];
  return settings.flatMap((s) => ['-c', s]);
}

function replicaScript(settings: string[]): string {
  return [
    'set -e',
    'until pg_basebackup -h node1 -D "$PGDATA" -X stream -C -S "$NODE_NAME" --checkpoint=fast -w; do rm -rf "$PGDATA"/*; sleep 1; done',
    'chmod 700 "$PGDATA"',
    'touch "$PGDATA/standby.signal"',
    // PGPASSWORD stays in the server's environment, so the walreceiver's libpq finds it.
    `echo "primary_conninfo = 'host=node1 port=5432 user=$PGUSER application_name=$NODE_NAME'" >> "$PGDATA/postgresql.auto.conf"`,
    `echo "primary_slot_name = '$NODE_NAME'" >> "$PGDATA/postgresql.auto.conf"`,
    `exec postgres ${settings.map((s) => `'${s}'`).join(' ')}`,
  ].join('\n');
}

async function imageFor(tc: Testcontainers, options: ResolvedClusterOptions): Promise<string> {
  const explicit = process.env['PGCLUSTER_TEST_IMAGE'];
  if (explicit) return explicit;
  if (!options.extensions.includes('hypopg')) return TESTCONTAINERS_BASE_IMAGE;
  // The pgvector image has no hypopg; one cached layer adds Debian's package.
  const context = mkdtempSync(join(tmpdir(), 'pgcluster-image-'));
  try {
    writeFileSync(
      join(context, 'Dockerfile'),
      `FROM ${TESTCONTAINERS_BASE_IMAGE}\nRUN apt-get update && apt-get install -y --no-install-recommends postgresql-15-hypopg && rm -rf /var/lib/apt/lists/*\n`,
    );
    const name = 'pgcluster-test-postgres:15-pgvector-0.8.0';
    options.log(`building ${name} (pgvector image + hypopg)`);
    await tc.GenericContainer.fromDockerfile(context).build(name, { deleteOnExit: false });
    return name;
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

class TestcontainersCluster implements ClusterHandle {
  readonly provider = 'testcontainers' as const;
  readonly baseDir = undefined;
  private readonly members: Array<{ node: NodeHandle; container: StartedContainer }> = [];

  constructor(
    private readonly network: StartedNetwork,
    readonly user: string,
    private readonly password: string,
    readonly database: string,
  ) {}

  get nodes(): readonly NodeHandle[] {
    return this.members.map((m) => m.node).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  }

  get primary(): NodeHandle {
    return this.nodes.find((n) => n.role === 'primary') ?? this.nodes[0]!;
  }

  get replicas(): readonly NodeHandle[] {
    return this.nodes.filter((n) => n.role === 'replica');
  }

  add(name: string, role: 'primary' | 'replica', container: StartedContainer): void {
    const host = container.getHost();
    const port = container.getMappedPort(5432);
    const url = (database?: string) => postgresUrl({ user: this.user, password: this.password, host, port, database: database ?? this.database });
    this.members.push({ node: { name, role, host, port, dataDir: undefined, logFile: undefined, url }, container });
  }

  url(node?: NodeRef, database?: string): string {
    return this.member(node ?? this.primary).node.url(database);
  }

  status(): Promise<NodeStatus[]> {
    return queryNodeStatuses(this.nodes.map((n) => ({ name: n.name, role: n.role, host: n.host, port: n.port, url: n.url('postgres') })));
  }

  async isRunning(node: NodeRef): Promise<boolean> {
    const name = this.member(node).node.name;
    return (await this.status()).find((s) => s.name === name)?.state === 'up';
  }

  kill(): Promise<void> {
    return Promise.reject(this.unsupported('kill'));
  }

  restart(): Promise<void> {
    return Promise.reject(this.unsupported('restart'));
  }

  async start(): Promise<void> {
    // Containers run from startCluster() until stop(); nothing to start.
  }

  async stop(): Promise<void> {
    const replicas = this.members.filter((m) => m.node.role === 'replica');
    await Promise.all(replicas.map((m) => m.container.stop()));
    await Promise.all(this.members.filter((m) => m.node.role === 'primary').map((m) => m.container.stop()));
    await this.network.stop();
  }

  destroySync(): void {
    const ids = this.members.map((m) => m.container.getId());
    if (ids.length > 0) spawnSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore', timeout: 30_000 });
    spawnSync('docker', ['network', 'rm', this.network.getId()], { stdio: 'ignore', timeout: 30_000 });
  }

  async logs(node?: NodeRef, lines = 50): Promise<string> {
    const selected = node === undefined ? this.members : [this.member(node)];
    const parts = await Promise.all(
      selected.map(
        (m) =>
          new Promise<string>((resolve) => {
            execFile('docker', ['logs', '--tail', String(lines), m.container.getId()], { timeout: 10_000 }, (_e, out, err) =>
              resolve(`==> ${m.node.name}: container ${m.container.getId().slice(0, 12)} <==\n${`${out}${err}`.trimEnd()}`),
            );
          }),
      ),
    );
    return parts.join('\n');
  }

  private member(ref: NodeRef): { node: NodeHandle; container: StartedContainer } {
    const name = typeof ref === 'string' ? ref : ref.name;
    const found = this.members.find((m) => m.node.name === name);
    if (!found) throw new PgClusterError('INVALID_INPUT', `node: must be one of ${this.nodes.map((n) => n.name).join(', ')} (got ${name})`);
    return found;
  }

  private unsupported(action: string): PgClusterError {
    return new PgClusterError('NOT_SUPPORTED', `${action} is not supported by the testcontainers provider yet`, {
      hint: 'Use the local provider (PGCLUSTER_TEST_PROVIDER=local) for tests that kill or restart nodes.',
    });
  }
}
