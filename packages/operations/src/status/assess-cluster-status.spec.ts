import { assessClusterStatus, bestFailoverCandidate, matchSenders, parseLsn } from './assess-cluster-status';
import { ClusterStatusReport } from './cluster-status-schema';
import type { ClusterFacts, NodeFacts, SenderFacts, StatusThresholds } from './node-facts';

const T: StatusThresholds = { lagBytesThreshold: 64 * 2 ** 20, lagSecondsThreshold: 30, slowQueryMs: 100, poolUtilizationPct: 80 };
const NOW = new Date('2026-01-02T03:04:05.000Z');

function sender(name: string, over: Partial<SenderFacts> = {}): SenderFacts {
  return { pid: 100, applicationName: name, slotName: null, state: 'streaming', syncState: 'async', lagBytes: 0, writeLagS: null, flushLagS: null, replayLagS: null, ...over };
}

function primary(over: Partial<NodeFacts> = {}): NodeFacts {
  return {
    name: 'node1',
    address: '127.0.0.1:5432/app',
    up: true,
    connectMs: 3,
    latencyMs: 0.42,
    inRecovery: false,
    version: '15.14',
    versionNum: 150014,
    pool: { active: 5, max: 100, executing: 1, idleInTransaction: 0 },
    senders: [sender('node2'), sender('node3')],
    hnsw: { database: 'app', vectorVersion: '0.8.0', indexes: [{ schema: 'public', name: 'items_embedding_idx', table: 'items', valid: true, building: false }], unindexedVectorColumns: [] },
    performance: {
      first: { atMs: 1000, xacts: 500, calls: 1000, execMs: 2000 },
      second: { atMs: 1300, xacts: 530, calls: 1060, execMs: 2300 },
      statementsAvailable: true,
      statementsProblem: null,
    },
    ...over,
  };
}

function replica(name: string, port: number, over: Partial<NodeFacts> = {}): NodeFacts {
  return {
    name,
    address: `127.0.0.1:${port}/app`,
    up: true,
    connectMs: 3,
    latencyMs: 0.5,
    inRecovery: true,
    version: '15.14',
    versionNum: 150014,
    pool: { active: 1, max: 100, executing: 0, idleInTransaction: 0 },
    replica: { receiveLsn: '0/3000060', replayLsn: '0/3000060', gapBytes: 0, delaySeconds: 0, receiverStatus: 'streaming', slotName: null },
    ...over,
  };
}

const down = (name: string, port: number, error = 'connection refused'): NodeFacts => ({ name, address: `127.0.0.1:${port}/app`, up: false, error });

function cluster(...nodes: NodeFacts[]): ClusterFacts {
  return { name: 'demo', nodes };
}

const healthy = () => cluster(primary(), replica('node2', 5433), replica('node3', 5434));

describe('assessClusterStatus', () => {
  it('reports a healthy three-node cluster with every component filled in', () => {
    const r = assessClusterStatus(healthy(), T, NOW);
    expect(ClusterStatusReport.parse(r)).toEqual(r);
    expect(r.status).toBe('healthy');
    expect(r.timestamp).toBe('2026-01-02T03:04:05.000Z');
    expect(r.cluster).toEqual({ name: 'demo', nodes: 3, up: 3, primary: 'node1', replicas: ['node2', 'node3'] });
    expect(r.alerts).toEqual([]);
    expect(r.recommendations).toEqual([]);
    expect(r.components.database.map((d) => [d.name, d.status, d.role, d.lag_bytes, d.lag_seconds])).toEqual([
      ['node1', 'up', 'primary', null, null],
      ['node2', 'up', 'replica', 0, 0],
      ['node3', 'up', 'replica', 0, 0],
    ]);
    expect(r.components.database[0]).toMatchObject({ latency_ms: 0.42, version: '15.14', version_num: 150014, error: null });
    expect(r.components.database[1]!.replication).toMatchObject({ source: 'primary', state: 'streaming', sync_state: 'async', streaming: true });
    expect(r.components.pools).toMatchObject({ node: 'node1', active: 5, max: 100, utilization: 5 });
    expect(r.components.pools.nodes).toHaveLength(3);
    expect(r.components.hnsw).toEqual({
      database: 'app',
      node: 'node1',
      loaded: true,
      extension_version: '0.8.0',
      index_count: 1,
      invalid_indexes: [],
      unindexed_vector_columns: [],
    });
    // 60 statements, 300 ms of execution, in a 300 ms window.
    expect(r.components.performance).toEqual({
      node: 'node1',
      avg_query_ms: 5,
      qps: 200,
      tps: 100,
      sample_ms: 300,
      source: 'window',
      pg_stat_statements: true,
      statements: 60,
    });
  });

  it('is degraded with an alert naming a replica that is down, and the node listed as down', () => {
    const r = assessClusterStatus(cluster(primary({ senders: [sender('node3')] }), down('node2', 5433), replica('node3', 5434)), T, NOW);
    expect(r.status).toBe('degraded');
    expect(r.alerts).toEqual(['node2 (127.0.0.1:5433) is down: connection refused']);
    expect(r.components.database[1]).toMatchObject({ name: 'node2', status: 'down', role: 'unknown', error: 'connection refused', latency_ms: null });
    expect(r.cluster).toMatchObject({ up: 2, primary: 'node1', replicas: ['node3'] });
    expect(r.recommendations.map((x) => x.skill)).not.toContain('cluster-failover');
  });

  it('is critical when the primary is down, recommending cluster-failover to the most advanced replica', () => {
    const r = assessClusterStatus(
      cluster(
        down('node1', 5432),
        replica('node2', 5433, { replica: { receiveLsn: '0/3000060', replayLsn: '0/3000060', gapBytes: 0, delaySeconds: 0, receiverStatus: null, slotName: null } }),
        replica('node3', 5434, { replica: { receiveLsn: '0/3000100', replayLsn: '0/3000100', gapBytes: 0, delaySeconds: 0, receiverStatus: null, slotName: null } }),
      ),
      T,
      NOW,
    );
    expect(r.status).toBe('critical');
    expect(r.cluster.primary).toBeNull();
    expect(r.alerts).toEqual([
      'node1 (127.0.0.1:5432) is down: connection refused',
      'no primary: none of the reachable nodes (node2, node3) accepts writes',
    ]);
    expect(r.recommendations[0]).toMatchObject({ skill: 'cluster-failover', input: { action: 'failover', to: 'node3' } });
    expect(r.components.performance.source).toBe('none');
    // HNSW facts come from a replica when the primary is gone.
    expect(r.components.hnsw.node).toBeNull();
  });

  it('reads HNSW facts on a replica when the primary is down', () => {
    const hnsw = primary().hnsw;
    const r = assessClusterStatus(cluster(down('node1', 5432), replica('node2', 5433, { hnsw })), T, NOW);
    expect(r.components.hnsw).toMatchObject({ node: 'node2', loaded: true, index_count: 1 });
  });

  it('is critical on split brain, naming both primaries', () => {
    const r = assessClusterStatus(cluster(primary(), primary({ name: 'node2', address: '127.0.0.1:5433/app' }), replica('node3', 5434)), T, NOW);
    expect(r.status).toBe('critical');
    expect(r.alerts).toContain('split brain: 2 nodes are primaries (node1, node2); writes may diverge');
  });

  it('is degraded, not split brain, with a fenced old primary beside the new one, and says how to rejoin it', () => {
    const oldPrimary = primary({ name: 'node1', fenced: true, senders: [] });
    const newPrimary = primary({ name: 'node2', address: '127.0.0.1:5433/app', senders: [sender('node3')] });
    const r = assessClusterStatus(cluster(oldPrimary, newPrimary, replica('node3', 5434)), T, NOW);
    expect(r.status).toBe('degraded');
    expect(r.alerts.join('\n')).not.toContain('split brain');
    expect(r.alerts).toContain('node1 (127.0.0.1:5432) is a fenced old primary: read-only and on its own timeline, it follows no primary');
    expect(r.recommendations.map((x) => x.why).join('\n')).toMatch(/Rejoin node1 as a replica of node2: .*pg_rewind.*pgcluster dev rejoin node1/);
  });

  it('is critical when no node answers', () => {
    const r = assessClusterStatus(cluster(down('node1', 5432), down('node2', 5433, 'no connection within 2000 ms')), T, NOW);
    expect(r.status).toBe('critical');
    expect(r.alerts).toEqual([
      'node1 (127.0.0.1:5432) is down: connection refused',
      'node2 (127.0.0.1:5433) is down: no connection within 2000 ms',
      'no node of cluster demo is reachable',
    ]);
    expect(r.components.pools).toEqual({ node: null, active: null, max: null, utilization: null, nodes: [] });
  });

  it('takes lag from the primary when it has a matching sender, and judges it against both thresholds', () => {
    const lagging = primary({ senders: [sender('node2', { lagBytes: 100 * 2 ** 20, replayLagS: 12.34567 }), sender('node3')] });
    const r = assessClusterStatus(cluster(lagging, replica('node2', 5433), replica('node3', 5434)), T, NOW);
    expect(r.status).toBe('degraded');
    expect(r.components.database[1]).toMatchObject({ lag_bytes: 100 * 2 ** 20, lag_seconds: 12.346 });
    expect(r.alerts).toEqual(['node2 (127.0.0.1:5433) is 100.0 MiB / 12.3 s behind the primary (thresholds 64.0 MiB / 30 s)']);

    const slow = primary({ senders: [sender('node2', { lagBytes: 4096, replayLagS: 45 }), sender('node3')] });
    const r2 = assessClusterStatus(cluster(slow, replica('node2', 5433), replica('node3', 5434)), T, NOW);
    expect(r2.status).toBe('degraded');
    expect(r2.alerts[0]).toMatch(/^node2 \(127\.0\.0\.1:5433\) is 4\.0 KiB \/ 45 s behind/);
  });

  it("reports 0 s when everything is replayed even if the primary's last transaction is old", () => {
    const idle = primary({ senders: [sender('node2', { lagBytes: 0, replayLagS: null }), sender('node3')] });
    const r = assessClusterStatus(cluster(idle, replica('node2', 5433, { replica: { receiveLsn: '0/5', replayLsn: '0/5', gapBytes: 0, delaySeconds: 3600, receiverStatus: 'streaming', slotName: null } }), replica('node3', 5434)), T, NOW);
    expect(r.components.database[1]).toMatchObject({ lag_bytes: 0, lag_seconds: 0 });
    expect(r.status).toBe('healthy');
  });

  it("falls back to the replica's own view when no sender matches", () => {
    const p = primary({ senders: [] });
    const r = assessClusterStatus(
      cluster(p, replica('node2', 5433, { replica: { receiveLsn: '0/9000000', replayLsn: '0/1000000', gapBytes: 128 * 2 ** 20, delaySeconds: 40, receiverStatus: 'streaming', slotName: null } })),
      T,
      NOW,
    );
    expect(r.components.database[1]).toMatchObject({ lag_bytes: 128 * 2 ** 20, lag_seconds: 40 });
    expect(r.components.database[1]!.replication).toMatchObject({ source: 'replica', state: null });
    expect(r.status).toBe('degraded');
  });

  it('is degraded when a replica is up but not streaming', () => {
    const r = assessClusterStatus(
      cluster(primary({ senders: [sender('node3')] }), replica('node2', 5433, { replica: { receiveLsn: null, replayLsn: '0/5', gapBytes: null, delaySeconds: null, receiverStatus: null, slotName: null } }), replica('node3', 5434)),
      T,
      NOW,
    );
    expect(r.status).toBe('degraded');
    expect(r.alerts).toEqual(['node2 (127.0.0.1:5433) is not streaming from the primary (WAL receiver: not running)']);
  });

  it('recommends cluster-scale once when server connections exceed the threshold on any node', () => {
    const busy = primary({ pool: { active: 17, max: 20, executing: 3, idleInTransaction: 1 } });
    const r = assessClusterStatus(cluster(busy, replica('node2', 5433, { pool: { active: 19, max: 20, executing: 0, idleInTransaction: 0 } }), replica('node3', 5434)), T, NOW);
    expect(r.status).toBe('degraded');
    expect(r.components.pools).toMatchObject({ node: 'node1', active: 17, max: 20, utilization: 85 });
    expect(r.alerts).toEqual([
      'node1 (127.0.0.1:5432) server connections at 85% (17 of max_connections 20; threshold 80%)',
      'node2 (127.0.0.1:5433) server connections at 95% (19 of max_connections 20; threshold 80%)',
    ]);
    // No pool to scale without PgBouncer: the advice is for a person, not cluster-scale.
    expect(r.recommendations.filter((x) => x.skill === 'cluster-scale')).toEqual([]);
    expect(r.recommendations).toEqual([{ why: expect.stringMatching(/^Server connections are above 80% of max_connections on node1, node2: find what holds them/) }]);
  });

  it('does not count exactly 80% as over the threshold', () => {
    const r = assessClusterStatus(cluster(primary({ pool: { active: 16, max: 20, executing: 0, idleInTransaction: 0 } })), T, NOW);
    expect(r.status).toBe('healthy');
  });

  it('is degraded with a vector-index rebuild per invalid HNSW index; an index being built is not invalid', () => {
    const p = primary({
      hnsw: {
        database: 'app',
        vectorVersion: '0.8.0',
        indexes: [
          { schema: 'public', name: 'a_idx', table: 'a', valid: false, building: false },
          { schema: 'public', name: 'b_idx', table: 'b', valid: false, building: true },
          { schema: 'public', name: 'c_idx', table: 'c', valid: true, building: false },
        ],
        unindexedVectorColumns: [],
      },
    });
    const r = assessClusterStatus(cluster(p, replica('node2', 5433), replica('node3', 5434)), T, NOW);
    expect(r.status).toBe('degraded');
    expect(r.components.hnsw.index_count).toBe(3);
    expect(r.components.hnsw.invalid_indexes).toEqual([{ schema: 'public', name: 'a_idx', table: 'a', valid: false, building: false }]);
    expect(r.alerts).toEqual([
      'HNSW index public.a_idx on public.a is invalid (indisvalid = false): vector searches cannot use it until it is rebuilt',
    ]);
    expect(r.recommendations).toEqual([{ why: 'Rebuild the invalid HNSW index public.a_idx.', skill: 'vector-index', input: { action: 'rebuild', index: 'public.a_idx', database: 'app' } }]);
  });

  it('recommends an HNSW index for large unindexed vector columns only, without degrading', () => {
    const p = primary({
      hnsw: {
        database: 'app',
        vectorVersion: '0.8.0',
        indexes: [],
        unindexedVectorColumns: [
          { schema: 'public', table: 'docs', column: 'embedding', rows: 250_000 },
          { schema: 'public', table: 'tiny', column: 'v', rows: 10 },
        ],
      },
    });
    const r = assessClusterStatus(cluster(p), T, NOW);
    expect(r.status).toBe('healthy');
    expect(r.components.hnsw.unindexed_vector_columns).toEqual(['public.docs.embedding', 'public.tiny.v']);
    expect(r.recommendations).toEqual([
      {
        why: expect.stringMatching(/^public\.docs\.embedding \(~250000 rows\) has no HNSW index: .* CREATE INDEX CONCURRENTLY ON public\.docs USING hnsw \(embedding vector_cosine_ops\)/),
      },
    ]);
  });

  it('says when pgvector is not installed, without degrading', () => {
    const r = assessClusterStatus(cluster(primary({ hnsw: { database: 'app', vectorVersion: null, indexes: [], unindexedVectorColumns: [] } })), T, NOW);
    expect(r.status).toBe('healthy');
    expect(r.components.hnsw).toMatchObject({ loaded: false, extension_version: null, index_count: 0 });
    expect(r.recommendations).toEqual([{ why: 'pgvector is not installed in database app: run CREATE EXTENSION vector there before storing embeddings.' }]);
  });

  it('is degraded and recommends maintenance-optimize when statements were slow in the window', () => {
    const p = primary({
      performance: { first: { atMs: 0, xacts: 0, calls: 0, execMs: 0 }, second: { atMs: 250, xacts: 5, calls: 4, execMs: 1000 }, statementsAvailable: true, statementsProblem: null },
    });
    const r = assessClusterStatus(cluster(p), T, NOW);
    expect(r.components.performance).toMatchObject({ avg_query_ms: 250, qps: 16, tps: 20, sample_ms: 250, source: 'window', statements: 4 });
    expect(r.status).toBe('degraded');
    expect(r.alerts).toEqual(['statements on node1 averaged 250 ms over the last 250 ms (threshold 100 ms)']);
    expect(r.recommendations).toEqual([{ why: 'Statements are slow right now: look for missing indexes and bloated tables.', skill: 'maintenance-optimize', input: {} }]);
  });

  it('falls back to the mean since reset when no statement ran in the window, and only advises', () => {
    const p = primary({
      performance: { first: { atMs: 0, xacts: 10, calls: 10, execMs: 5000 }, second: { atMs: 300, xacts: 10, calls: 10, execMs: 5000 }, statementsAvailable: true, statementsProblem: null },
    });
    const r = assessClusterStatus(cluster(p), T, NOW);
    expect(r.components.performance).toMatchObject({ avg_query_ms: 500, qps: 0, tps: 0, source: 'since_reset', statements: 0 });
    expect(r.status).toBe('healthy');
    expect(r.alerts).toEqual([]);
    expect(r.recommendations.map((x) => x.skill)).toEqual(['maintenance-optimize']);
  });

  it('reports transactions per second and recommends pg_stat_statements when it is missing', () => {
    const p = primary({
      performance: {
        first: { atMs: 0, xacts: 100, calls: null, execMs: null },
        second: { atMs: 500, xacts: 150, calls: null, execMs: null },
        statementsAvailable: false,
        statementsProblem: 'not installed in database app',
      },
    });
    const r = assessClusterStatus(cluster(p), T, NOW);
    expect(r.components.performance).toEqual({
      node: 'node1',
      avg_query_ms: null,
      qps: 100,
      tps: 100,
      sample_ms: 500,
      source: 'pg_stat_database',
      pg_stat_statements: false,
      statements: null,
    });
    expect(r.status).toBe('healthy');
    expect(r.recommendations[0]!.why).toMatch(/^pg_stat_statements is not available \(not installed in database app\)/);
  });

  it('uses the mean since reset with a zero-length window', () => {
    const p = primary({ performance: { first: { atMs: 0, xacts: 1, calls: 4, execMs: 10 }, second: null, statementsAvailable: true, statementsProblem: null } });
    const r = assessClusterStatus(cluster(p), T, NOW);
    expect(r.components.performance).toMatchObject({ avg_query_ms: 2.5, qps: null, tps: null, sample_ms: 0, source: 'since_reset' });
  });

  it('never puts more than the address into alerts', () => {
    const r = assessClusterStatus(cluster(primary(), down('node2', 5433)), T, NOW);
    expect(JSON.stringify(r)).not.toMatch(/password|postgresql:\/\//);
  });
});

describe('matchSenders', () => {
  const r2 = replica('node2', 5433);
  const r3 = replica('node3', 5434, { replica: { receiveLsn: null, replayLsn: null, gapBytes: null, delaySeconds: null, receiverStatus: 'streaming', slotName: 'slot_c' } });

  it('matches by application_name, then by slot, then the one left over', () => {
    const byName = sender('node2', { pid: 1 });
    const bySlot = sender('walreceiver', { pid: 2, slotName: 'slot_c' });
    expect(matchSenders([r2, r3], [bySlot, byName])).toEqual(new Map([['node2', byName], ['node3', bySlot]]));
    const anon = sender('walreceiver', { pid: 3 });
    expect(matchSenders([r2], [anon]).get('node2')).toBe(anon);
  });

  it('leaves ambiguous senders unmatched', () => {
    expect(matchSenders([r2, replica('node4', 5435)], [sender('walreceiver'), sender('walreceiver')]).size).toBe(0);
  });
});

describe('parseLsn and bestFailoverCandidate', () => {
  it('parses pg_lsn text', () => {
    expect(parseLsn('0/0')).toBe(0);
    expect(parseLsn('1/0')).toBe(2 ** 32);
    expect(parseLsn('16/B374D848')).toBe(0x16 * 2 ** 32 + 0xb374d848);
    expect(parseLsn(null)).toBeNull();
    expect(parseLsn('bogus')).toBeNull();
  });

  it('picks the replica that replayed the most WAL', () => {
    const a = replica('a', 1, { replica: { receiveLsn: '0/9', replayLsn: '1/0', gapBytes: 0, delaySeconds: 0, receiverStatus: null, slotName: null } });
    const b = replica('b', 2, { replica: { receiveLsn: '0/9', replayLsn: '0/FFFFFFFF', gapBytes: 0, delaySeconds: 0, receiverStatus: null, slotName: null } });
    expect(bestFailoverCandidate([b, a])?.name).toBe('a');
    expect(bestFailoverCandidate([])).toBeUndefined();
  });
});
