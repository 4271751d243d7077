import { useCluster } from '@pgcluster/testing';
import { withClient } from '@pgcluster/core';
import { readOutcomes } from '../src';
import { agentHarness } from './helpers';

// Native mode (no Patroni): a primary and one streaming replica; the primary is killed for real.
const cluster = useCluster({ replicas: 1, fast: true });
const { agent } = agentHarness(cluster);

const inRecovery = (node: string) =>
  withClient({ url: cluster().url(node), connectTimeoutMs: 2_000 }, 'role', async (c) => (await c.query<{ r: boolean }>('select pg_is_in_recovery() as r')).rows[0]!.r);

describe('a primary down in native mode', () => {
  test('without the policy approving cluster-failover the agent escalates and promotes nothing; with it, it fails over and verifies a primary answers', async () => {
    await cluster().kill('node1');

    // The default policy: cluster-failover is destructive and needs a person.
    const cautious = agent({ mode: 'act' });
    const [held] = await cautious.tick();
    const noPrimary = held!.outcomes.find((o) => o.check === 'no_primary');
    expect(noPrimary).toMatchObject({ decision: 'escalated', action: { skill: 'cluster-failover', input: { action: 'failover' } } });
    expect(held!.outcomes.find((o) => o.check === 'node_down' && o.object === 'node1')).toMatchObject({ decision: 'escalated' });
    expect(held!.outcomes.filter((o) => o.decision === 'acted')).toEqual([]);
    expect(cautious.escalations()).toContainEqual(expect.objectContaining({ check: 'no_primary', tried: [{ skill: 'cluster-failover', input: { action: 'failover' }, why: expect.any(String) }] }));
    expect(await inRecovery('node2')).toBe(true);

    // A policy that approves cluster-failover: the agent promotes the replica and verifies.
    const bold = agent({ mode: 'act', approve: ['cluster-failover'] });
    const [acted] = await bold.tick();
    const failover = acted!.outcomes.find((o) => o.check === 'no_primary' && o.decision === 'acted');
    expect(failover).toMatchObject({ result: 'verified', action: { skill: 'cluster-failover', input: { action: 'failover' } } });
    expect(failover!.auditIds).toHaveLength(1);
    expect(await inRecovery('node2')).toBe(false);
    // Exactly one failover ran; the dead node went to a person instead of a second failover.
    expect((await readOutcomes({ stateDir: bold.stateDir })).filter((o) => o.decision === 'acted' && o.result !== 'pending')).toHaveLength(1);
    expect(bold.escalations()).toContainEqual(expect.objectContaining({ check: 'node_down', object: 'node1' }));
    // The next round sees a primary: no_primary is gone and nothing else is acted on.
    const [after] = await bold.tick();
    expect(after!.outcomes.filter((o) => o.check === 'no_primary' || o.decision === 'acted')).toEqual([]);
  });
});
