import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig } from '@pgcluster/core';
import { AgentPolicySchema, readAgentStatus, readOutcomes, runAgent } from '../src';

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const stateDir = mkdtempSync(join(tmpdir(), 'agent-gone-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

test('a cluster that does not answer is escalated once and the loop keeps going; the state file says it stopped', async () => {
  const port = await closedPort();
  const loaded = { config: ClusterConfig.parse({ name: 'gone', nodes: [{ name: 'node1', url: `postgresql://app:s3cret-pw@127.0.0.1:${port}/app` }] }), source: 'test', stateDir };
  const stderr: string[] = [];
  const rounds = await runAgent({ loaded, policy: AgentPolicySchema.parse({ mode: 'act' }), maxTicks: 3, intervalSeconds: 0, stderr: (l) => void stderr.push(l) });
  expect(rounds.map((r) => r.status)).toEqual(['unreachable', 'unreachable', 'unreachable']);
  const outcomes = await readOutcomes({ stateDir });
  expect(outcomes).toEqual([expect.objectContaining({ check: 'cluster_unreachable', decision: 'escalated', severity: 'critical', action: null })]);
  const escalations = stderr.filter((l) => l.includes('agent-escalation'));
  expect(escalations).toHaveLength(1);
  // Security: the password of the node URL never reaches an escalation or an outcome.
  expect(stderr.join('')).not.toContain('s3cret-pw');
  expect(JSON.stringify(outcomes)).not.toContain('s3cret-pw');
  expect(await readAgentStatus({ stateDir })).toMatchObject({ running: false, lastTickAt: rounds[2]!.at });
});
