import type { LoadedConfig } from '@pgcluster/core';
import { checkSkillMeta, createRunResources, getSkillMeta, type SkillContext } from '@pgcluster/skill-kit';
import { ClusterStatusInput, ClusterStatusReport } from '../status/cluster-status-schema';
import { ClusterStatusSkill } from './cluster-status.skill';

const loaded: LoadedConfig = {
  source: 'test',
  stateDir: '/tmp/none',
  config: {
    name: 'demo',
    nodes: [
      { name: 'node1', url: 'postgresql://app:s3cret@127.0.0.1:5432/app' },
      { name: 'node2', url: 'postgresql://app:s3cret@127.0.0.1:5433/app' },
    ],
    databases: {},
    stateDir: '.pgcluster',
  },
};
const ctx: SkillContext = {
  loaded,
  signal: new AbortController().signal,
  actor: 'library',
  log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
  resources: createRunResources({ cluster: () => loaded.config, log: { info: () => undefined, warn: () => undefined, debug: () => undefined } }),
};

describe('ClusterStatusSkill', () => {
  it('declares valid, read-only, autonomous metadata with the seed decision tree', () => {
    const meta = getSkillMeta(ClusterStatusSkill);
    expect(checkSkillMeta(meta)).toEqual([]);
    expect(meta).toMatchObject({ name: 'cluster-status', category: 'operations', risk: 'read', autonomous: true, requiresConfirmation: false, idempotent: true });
    expect(meta.input).toBe(ClusterStatusInput);
    expect(meta.output).toBe(ClusterStatusReport);
    expect(meta.description.length).toBeLessThanOrEqual(1024);
    expect(meta.description).toMatch(/^Checks .* Use when /s);
    expect(meta.decisionTree.map((r) => r.skill)).toEqual(['cluster-failover', 'cluster-scale', 'vector-index', 'maintenance-optimize', 'monitoring-health']);
    expect(meta.examples[0]).toEqual({ title: 'Check the cluster and read the result as JSON', skill: 'cluster-status', input: {}, options: { format: 'json' } });
    // Every skill the tree names exists now: nothing is planned.
    expect(meta.decisionTree.filter((r) => r.planned).map((r) => r.skill)).toEqual([]);
  });

  it('fills in every input default and describes every field', () => {
    expect(ClusterStatusInput.parse({})).toEqual({
      sampleMs: 100,
      connectTimeoutMs: 2000,
      lagBytesThreshold: 64 * 1024 * 1024,
      lagSecondsThreshold: 30,
      slowQueryMs: 100,
      poolUtilizationPct: 80,
    });
    for (const [field, schema] of Object.entries(ClusterStatusInput.shape)) {
      expect([field, schema.description?.length ?? 0]).not.toEqual([field, 0]);
    }
    expect(ClusterStatusInput.safeParse({ sampleMs: -1 }).success).toBe(false);
    expect(ClusterStatusInput.safeParse({ database: 'x; drop table t' }).success).toBe(false);
  });

  it('plans only read-only SQL per node, without passwords', () => {
    const steps = ClusterStatusSkill.plan(ctx, ClusterStatusInput.parse({ sampleMs: 500 }));
    expect(new Set(steps.map((s) => s.target))).toEqual(new Set(['node1 (127.0.0.1:5432)', 'node2 (127.0.0.1:5433)']));
    expect(steps.every((s) => s.kind === 'sql')).toBe(true);
    expect(steps.filter((s) => s.target.startsWith('node1'))).toHaveLength(8);
    const text = JSON.stringify(steps);
    expect(text).not.toContain('s3cret');
    expect(text).toContain('500 ms apart');
    for (const s of steps) {
      expect(s.text.replace(/^--.*\n/, '').trimStart()).toMatch(/^select /i);
      expect(s.text).not.toMatch(/\b(insert|update|delete|alter|create|drop|truncate|grant)\b/i);
    }
  });
});
