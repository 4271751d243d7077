import { createTopologyProvider, type ClusterConfig, type Topology, type TopologyProvider } from '@pgcluster/core';
import type { RunResources, SkillLogger } from '../skill/skill-meta';

/** How long one resolution of the topology is shared within a run; a write re-resolves after it (as pools do). */
export const TOPOLOGY_SHARE_MS = 1_000;

/** What {@link createRunResources} needs. */
export interface RunResourcesConfig {
  /** The run's cluster configuration; read only when the topology is first needed. */
  cluster: () => ClusterConfig;
  /** A provider to share instead of the config's own (a long-running runtime's, a test's). */
  topology?: TopologyProvider;
  /** Where a failing close is reported. */
  log: SkillLogger;
}

/** {@link RunResources} plus what only the executor may do with them. */
export interface OwnedRunResources extends RunResources {
  /** Closes every resource opened through `use`, the last opened first; never throws. */
  dispose(): Promise<void>;
}

/**
 * The resources of one run, created by the executor and disposed when the run ends: one
 * topology provider whose resolution is shared by the plan, the run and the audit record, and
 * resources (pools, handles) opened once by whoever needs them first.
 *
 * @example
 * ```ts
 * const resources = createRunResources({ cluster: () => loaded.config, log })
 * try { await run({ ...ctx, resources }) } finally { await resources.dispose() }
 * ```
 */
export function createRunResources(config: RunResourcesConfig): OwnedRunResources {
  const opened = new Map<string, { value: Promise<unknown>; close?: (value: never) => unknown }>();
  let provider: TopologyProvider | undefined;
  let shared: { at: number; topology: Promise<Topology> } | undefined;
  const topology: TopologyProvider = {
    get kind() {
      return (provider ??= config.topology ?? createTopologyProvider(config.cluster())).kind;
    },
    resolve(signal?: AbortSignal): Promise<Topology> {
      provider ??= config.topology ?? createTopologyProvider(config.cluster());
      // A resolution in flight or younger than TOPOLOGY_SHARE_MS is shared; a failed one is not kept.
      if (shared && performance.now() - shared.at < TOPOLOGY_SHARE_MS) return shared.topology;
      const current = { at: performance.now(), topology: provider.resolve(signal) };
      shared = current;
      current.topology.then(
        () => (current.at = performance.now()),
        () => {
          if (shared === current) shared = undefined;
        },
      );
      return current.topology;
    },
  };
  return {
    topology,
    use<T>(key: string, open: () => Promise<T>, close?: (value: T) => unknown): Promise<T> {
      const existing = opened.get(key);
      if (existing) return existing.value as Promise<T>;
      const value = open();
      opened.set(key, { value, ...(close ? { close: close as (value: never) => unknown } : {}) });
      // A failed open is forgotten, so a later use may try again.
      value.catch(() => opened.delete(key));
      return value;
    },
    async dispose(): Promise<void> {
      const all = [...opened.entries()].reverse();
      opened.clear();
      for (const [key, { value, close }] of all) {
        try {
          const resolved = await value.catch(() => undefined);
          if (resolved !== undefined && close) await close(resolved as never);
        } catch (error) {
          config.log.warn(`could not close ${key}: ${(error as Error).message}`);
        }
      }
    },
  };
}
