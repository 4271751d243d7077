import { InputError } from '@pgcluster/core';
import type { ExitCode } from '@pgcluster/skill-kit';
import { attachCluster, isHaClusterHandle } from '@pgcluster/testing';
import { DEV_EXIT, devPaths, hasDevCluster, reportError, type DevIo } from './dev-context';

/** What `pgcluster dev rejoin <node>` is asked for. */
export interface DevRejoinOptions {
  cwd: string;
  /** The node to bring back, as typed (checked against the cluster's nodes). */
  node: unknown;
}

/**
 * `pgcluster dev rejoin <node>`: brings a node of the directory's dev cluster back as a streaming
 * replica of the CURRENT primary (after a failover or switchover: pg_rewind when it diverged,
 * its primary_conninfo pointed at the new primary), stopping it first when it runs. Never starts
 * it as a second primary.
 *
 * @returns 0 when it streams, 2 on bad input (the allowed nodes are named) or failure.
 * @example
 * ```ts
 * process.exitCode = await devRejoin({ cwd: process.cwd(), node: 'node1' }, io)
 * ```
 */
export async function devRejoin(options: DevRejoinOptions, io: DevIo): Promise<ExitCode> {
  const log = (line: string) => io.err(`pgcluster dev: ${line}`);
  const paths = devPaths(options.cwd);
  try {
    if (!hasDevCluster(paths.baseDir)) throw new InputError('node', `there is no dev cluster in ${paths.cwd}; start one with \`pgcluster dev up\``);
    const cluster = attachCluster(paths.baseDir, { log });
    const names = cluster.nodes.map((n) => n.name);
    if (typeof options.node !== 'string' || !names.includes(options.node)) {
      throw new InputError('node', `must be one of ${names.join(', ')} (got ${JSON.stringify(options.node ?? null)})`);
    }
    if (isHaClusterHandle(cluster) || !cluster.rejoin) {
      throw new InputError('node', 'an HA dev cluster rejoins its members by itself (Patroni); `pgcluster dev status` shows them');
    }
    await cluster.rejoin(options.node);
    io.out(`${options.node} streams from ${cluster.primary.name} again.`);
    return DEV_EXIT.ok;
  } catch (error) {
    return reportError(io, 'dev rejoin', error);
  }
}
