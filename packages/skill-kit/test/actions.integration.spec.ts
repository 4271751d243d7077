// A multi-action skill against a real PostgreSQL: one topology resolution and one pool per run,
// shared by plan and run and closed at the end; the plan of a read run is never built.
import { createTopologyProvider, type TopologyProvider } from '@pgcluster/core';
import { useCluster } from '@pgcluster/testing';
import { executeSkill, type ExecuteOptions } from '../src/index';
import { SessionsFixture, type ActionCounts } from './fixtures/action-fixture';
import { memoryLogger, tempConfig } from './fixtures/temp-config';

const cluster = useCluster({ replicas: 0, fast: true, extensions: [] });

let env: ReturnType<typeof tempConfig>;
beforeAll(() => {
  env = tempConfig(cluster().url());
});
afterAll(() => env?.cleanup());

/** The config's own provider, counting its resolutions. */
function counting(): { provider: TopologyProvider; resolutions: () => number } {
  const real = createTopologyProvider(env.loaded.config);
  let n = 0;
  return { provider: { kind: real.kind, resolve: (signal) => (n++, real.resolve(signal)) }, resolutions: () => n };
}

test('a read action resolves the roles once, opens one pool, closes it, and builds no plan', async () => {
  const counts: ActionCounts = { plans: 0, opens: 0, closes: 0, runs: [] };
  const { provider, resolutions } = counting();
  const options: ExecuteOptions = { config: env.loaded, log: memoryLogger(), services: { counts }, topology: provider, actor: 'cli' };
  const envelope = await executeSkill(SessionsFixture, { action: 'list', limit: 3 }, options);
  expect(envelope).toMatchObject({ ok: true, status: 'ok', data: { action: 'list', primary: 'node1' } });
  expect(envelope.data?.rows).toBeGreaterThanOrEqual(1);
  expect(envelope.auditId).toBeDefined();
  expect(resolutions()).toBe(1);
  expect(counts).toMatchObject({ plans: 0, opens: 1, closes: 1 });
});
