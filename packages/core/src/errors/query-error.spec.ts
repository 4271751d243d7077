import { PgClusterError } from './pgcluster-error';
import { QueryError, reasonForSqlState } from './query-error';

/** A pg DatabaseError as the driver builds it: message, code and the server's fields. */
const pgError = (message: string, fields: Record<string, string>) => Object.assign(new Error(message), fields);
const everything = (e: PgClusterError) => `${e.message} ${e.hint ?? ''} ${JSON.stringify(e.toJSON())}`;

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

  it('builds value-bearing messages from the SQLSTATE and object names, not from the server text', () => {
    const dup = QueryError.from(
      pgError('duplicate key value violates unique constraint "t_pkey"', {
        code: '23505', detail: 'Key (token)=(super-secret) already exists.', schema: 'public', table: 't', constraint: 't_pkey',
      }),
      'inserting into t',
    ) as QueryError;
    expect(dup.message).toBe('inserting into t: duplicate key violates unique constraint "t_pkey" on table public.t (SQLSTATE 23505)');
    expect(dup).toMatchObject({ code: 'QUERY_FAILED', reason: 'constraint_violation', sqlState: '23505', objects: { table: 't', constraint: 't_pkey' } });
    expect(dup.hint).toMatch(/not shown/);

    const syntax = QueryError.from(pgError('invalid input syntax for type integer: "super-secret"', { code: '22P02' }), 'x');
    expect(syntax.message).toBe('x: invalid input syntax for type integer (SQLSTATE 22P02)');
    for (const e of [dup, syntax]) expect(everything(e)).not.toContain('super-secret');
  });

  it('keeps server text that is known to be value-free', () => {
    expect(QueryError.from(pgError('relation "nope" does not exist', { code: '42P01' }), 'reading').message).toBe('reading: relation "nope" does not exist');
    expect(QueryError.from(pgError('value too long for type character varying(4)', { code: '22001' }), 'w').message).toBe('w: value too long for type character varying(4)');
    expect(QueryError.from(pgError('expected 3 dimensions, not 2', { code: '22000' }), 'w').message).toBe('w: expected 3 dimensions, not 2');
    expect(QueryError.from(pgError('value "99999999999" is out of range for type integer', { code: '22003' }), 'w').message).toBe(
      'w: a numeric value is out of range (SQLSTATE 22003)',
    );
  });

  it('keeps socket errors, without the password of any URL in them', () => {
    const refused = QueryError.from(Object.assign(new Error('connect to postgresql://u:pw@h:1/d failed'), { code: 'ECONNREFUSED' }), 'connecting to node2');
    expect(refused.code).toBe('UNREACHABLE');
    expect(refused.message).toBe('connecting to node2: connect to postgresql://u:***@h:1/d failed');
  });

  it('passes pgcluster errors through unchanged', () => {
    const original = new PgClusterError('REFUSED', 'no');
    expect(QueryError.from(original, 'x')).toBe(original);
  });
});
