import { PgClusterError } from './pgcluster-error';
import { QueryError, reasonForSqlState } from './query-error';

describe('QueryError', () => {
  it('maps SQLSTATE codes and classes to reasons', () => {
    expect(reasonForSqlState('23505')).toBe('constraint_violation');
    expect(reasonForSqlState('42P01')).toBe('undefined_object');
    expect(reasonForSqlState('40P01')).toBe('deadlock');
    expect(reasonForSqlState('08006')).toBe('connection');
    expect(reasonForSqlState('ECONNREFUSED')).toBe('connection');
    expect(reasonForSqlState('XX000')).toBe('unknown');
    expect(reasonForSqlState(undefined)).toBe('unknown');
  });

  it('wraps pg errors without DETAIL or passwords', () => {
    const pgError = Object.assign(new Error('duplicate key value violates unique constraint "t_pkey"'), {
      code: '23505',
      detail: 'Key (token)=(super-secret) already exists.',
    });
    const wrapped = QueryError.from(pgError, 'inserting into t');
    expect(wrapped).toBeInstanceOf(QueryError);
    expect(wrapped.code).toBe('QUERY_FAILED');
    expect((wrapped as QueryError).reason).toBe('constraint_violation');
    expect(JSON.stringify(wrapped.toJSON())).not.toContain('super-secret');

    const refused = QueryError.from(
      Object.assign(new Error('connect to postgresql://u:pw@h:1/d failed'), { code: 'ECONNREFUSED' }),
      'connecting to node2',
    );
    expect(refused.code).toBe('UNREACHABLE');
    expect(refused.message).not.toContain('pw@');
  });

  it('passes pgcluster errors through unchanged', () => {
    const original = new PgClusterError('REFUSED', 'no');
    expect(QueryError.from(original, 'x')).toBe(original);
  });
});
