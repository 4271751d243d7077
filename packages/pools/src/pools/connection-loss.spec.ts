import { QueryError } from '@pgcluster/core';
import { isConnectionLoss, isReadOnlyRejection } from './connection-loss';
import { validateSettings } from './query-settings';

describe('isConnectionLoss', () => {
  it('recognises lost connections and nothing else', () => {
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionLoss(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionLoss(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true);
    expect(isConnectionLoss(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    expect(isConnectionLoss(QueryError.from(Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'c'))).toBe(true);
    expect(isConnectionLoss(Object.assign(new Error('dup'), { code: '23505' }))).toBe(false);
    expect(isConnectionLoss(new Error('boom'))).toBe(false);
    expect(isReadOnlyRejection({ code: '25006' })).toBe(true);
  });
});

describe('validateSettings', () => {
  it('accepts GUC names and rejects anything else', () => {
    expect(() => validateSettings({ 'hnsw.ef_search': 100, statement_timeout: '2s', enable_seqscan: false })).not.toThrow();
    expect(() => validateSettings({ 'x; drop table t': 1 })).toThrow(/settings\.x; drop table t/);
    expect(() => validateSettings({ work_mem: {} as unknown as string })).toThrow(/string, a finite number/);
  });
});
