import type { ExitCode } from '@pgcluster/skill-kit';
import { attachCluster, CLUSTER_STATE_FILE, isHaClusterHandle, type NodeStatus, type PatroniMember } from '@pgcluster/testing';
import { DEV_EXIT, devPaths, hasDevCluster, reportError, type DevIo } from './dev-context';

/** Output formats of `dev status`; one tuple yields the type and the CLI choices. */
export const DEV_STATUS_FORMATS = ['human', 'json'] as const;

/** One of {@link DEV_STATUS_FORMATS}. */
export type DevStatusFormat = (typeof DEV_STATUS_FORMATS)[number];

/** What `pgcluster dev status` is asked for. */
export interface DevStatusOptions {
  cwd: string;
  format?: DevStatusFormat;
}

/**
 * `pgcluster dev status`: each node's live role (pg_is_in_recovery; for a node that is down, what its
 * data directory says), port, up/down and replication lag.
 * `json` prints exactly one document on stdout: `{ cluster, baseDir, healthy, nodes, patroni? }`
 * (`patroni`: Patroni's members with their roles, for an HA cluster)
 * (or `{ cluster, error }` when there is no dev cluster).
 *
 * @returns 0 every node up, 1 something down, 2 no dev cluster here.
 * @example
 * ```ts
 * process.exitCode = await devStatus({ cwd: process.cwd(), format: 'json' }, io)
 * ```
 */
export async function devStatus(options: DevStatusOptions, io: DevIo): Promise<ExitCode> {
  const format = options.format ?? 'human';
  const paths = devPaths(options.cwd);
  if (!hasDevCluster(paths.baseDir)) {
    const error = { code: 'CONFIG_NOT_FOUND', message: `no dev cluster in ${paths.cwd}`, hint: 'Start one with `pgcluster dev up`.' };
    if (format === 'json') io.out(JSON.stringify({ cluster: 'dev', error }));
    io.err(`pgcluster dev status: ${error.message} (${paths.baseDir}/${CLUSTER_STATE_FILE} is missing)`);
    io.err(`hint: ${error.hint}`);
    return DEV_EXIT.error;
  }
  try {
    const cluster = attachCluster(paths.baseDir);
    const nodes = await cluster.status();
    // An HA cluster: Patroni's view of each member (leader, sync_standby, replica) and its state.
    const patroni = isHaClusterHandle(cluster) ? await cluster.members() : undefined;
    const healthy = nodes.every((n) => n.state === 'up');
    if (format === 'json') {
      io.out(JSON.stringify({ cluster: 'dev', baseDir: paths.baseDir, healthy, nodes, ...(patroni ? { patroni } : {}) }));
    } else {
      for (const line of renderTable(nodes, patroni)) io.out(line);
    }
    if (!healthy) for (const line of downHints(nodes)) io.err(`hint: ${line}`);
    return healthy ? DEV_EXIT.ok : DEV_EXIT.degraded;
  } catch (error) {
    return reportError(io, 'dev status', error);
  }
}

/** What to run for the nodes that are down: an old primary (another node leads now) rejoins, the rest start. */
function downHints(nodes: readonly NodeStatus[]): string[] {
  const leader = nodes.find((n) => n.state === 'up' && n.role === 'primary');
  const down = nodes.filter((n) => n.state === 'down');
  const stalePrimaries = leader ? down.filter((n) => n.role === 'primary') : [];
  return [
    ...stalePrimaries.map((n) => `${n.name} was a primary and ${leader!.name} leads now: \`pgcluster dev rejoin ${n.name}\` brings it back as a replica of ${leader!.name}.`),
    ...(down.length > stalePrimaries.length ? ['`pgcluster dev up` starts the nodes that are down (an old primary rejoins as a replica, never as a second primary).'] : []),
  ];
}

function renderTable(nodes: readonly NodeStatus[], patroni?: readonly PatroniMember[]): string[] {
  const dash = (v: string | null) => v ?? '-';
  const patroniCell = (name: string) => {
    const m = patroni?.find((x) => x.name === name);
    return m ? `${m.role}/${m.state}` : '-';
  };
  const rows = [
    ['NODE', 'ROLE', 'PORT', 'STATE', 'REPLICATION', 'LAG BYTES', 'LAG SECONDS', ...(patroni ? ['PATRONI'] : [])],
    ...nodes.map((n) => [
      n.name,
      n.role,
      String(n.port),
      n.state,
      dash(n.replicationState),
      dash(n.lagBytes === null ? null : String(n.lagBytes)),
      dash(n.lagSeconds === null ? null : n.lagSeconds.toFixed(3)),
      ...(patroni ? [patroniCell(n.name)] : []),
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}
