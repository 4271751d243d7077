import { ConfigError, type ClusterConfig } from '@pgcluster/core';
import { clusterHosts } from './plugin';

describe('clusterHosts', () => {
  it("lists the configured cluster's hosts once each: nodes, Patroni's APIs, PgBouncer's console", () => {
    const config = {
      nodes: [
        { name: 'node1', url: 'postgresql://app:secret@db1.internal:5432/app' },
        { name: 'node2', url: 'postgresql://app:secret@db2.internal:5432/app' },
      ],
      patroni: { url: 'http://db1.internal:8008', urls: ['http://db1.internal:8008', 'http://db2.internal:8008'] },
      pgbouncer: { adminUrl: 'postgresql://admin:secret@db1.internal:6432/pgbouncer' },
    } as unknown as ClusterConfig;
    expect(clusterHosts(() => config)).toEqual(['db1.internal:5432', 'db1.internal:6432', 'db1.internal:8008', 'db2.internal:5432', 'db2.internal:8008']);
  });

  it('falls back to loopback, where pgcluster dev up runs, when no configuration is found, and reports one that is wrong', () => {
    expect(clusterHosts(() => {
      throw new ConfigError('no pgcluster.config.json', { notFound: true });
    })).toEqual(['127.0.0.1', 'localhost']);
    expect(() => clusterHosts(() => {
      throw new ConfigError('nodes: must list at least one node');
    })).toThrow('nodes: must list at least one node');
  });
});
