// QueryError against a real PostgreSQL: every value-bearing error class, provoked with a
// secret-looking value bound as a parameter, comes back without that value anywhere.
import { QueryError, withClient } from '@pgcluster/core';
import { useCluster } from '@pgcluster/testing';
import { toEnvelopeError } from '../src/index';

const cluster = useCluster({ replicas: 0, fast: true, extensions: [] });
const SECRET = 'sk-live-9f8e7d6c5b4a-S3CRET';

beforeAll(() =>
  withClient({ url: cluster().url() }, 'creating the tables', async (c) => {
    await c.query('create table qe_parent (id int primary key)');
    await c.query('create table qe_t (id int primary key, token varchar(8) unique, note text not null, parent int references qe_parent (id))');
    await c.query(`insert into qe_t values (1, $1, 'n', null)`, [SECRET.slice(0, 8)]);
  }),
);

/** Runs one statement and returns what it threw, wrapped as the library wraps it. */
const failure = (text: string, values: unknown[]) =>
  withClient({ url: cluster().url() }, 'test statement', async (c) => {
    try {
      await c.query(text, values);
    } catch (error) {
      return { raw: error as Error & { detail?: string }, wrapped: QueryError.from(error, 'writing qe_t') as QueryError };
    }
    throw new Error(`"${text}" did not fail`);
  });

test.each([
  ['22P02', 'insert into qe_t (id, note) values ($1, $2)', [SECRET, 'n'], { reason: 'invalid_data', objects: {} }],
  ['23505', 'insert into qe_t (id, token, note) values (2, $1, $2)', [SECRET.slice(0, 8), SECRET], { reason: 'constraint_violation', objects: { table: 'qe_t', constraint: 'qe_t_token_key' } }],
  ['22001', 'insert into qe_t (id, token, note) values (3, $1, $2)', [SECRET, 'n'], { reason: 'invalid_data', objects: {} }],
  ['23502', 'insert into qe_t (id, token, note) values (4, $1, $2)', [SECRET.slice(0, 8).replace('s', 't'), null], { reason: 'constraint_violation', objects: { table: 'qe_t', column: 'note' } }],
  ['23503', 'insert into qe_t (id, note, parent) values (5, $1, $2)', [SECRET, 987654321], { reason: 'constraint_violation', objects: { table: 'qe_t', constraint: 'qe_t_parent_fkey' } }],
  ['22003', 'insert into qe_t (id, note) values ($1, $2)', ['98765432109876', SECRET], { reason: 'invalid_data', objects: {} }],
])('SQLSTATE %s: no bound value in the message, hint or JSON', async (code, text, values, expected) => {
  const { raw, wrapped } = await failure(text, values);
  expect(raw).toMatchObject({ code });
  // The server did echo a value somewhere (message or DETAIL): this is the case the wrapping must handle.
  // The secret-looking values (fillers like 'n' are too short to look for).
  const bound = values.filter((v): v is string | number => v !== null).map(String).filter((v) => v.length >= 8);
  expect(bound.some((v) => `${raw.message} ${raw.detail ?? ''}`.includes(v)) || code === '22001').toBe(true);
  expect(wrapped).toMatchObject({ sqlState: code, ...expected });
  expect(wrapped.message).toContain('writing qe_t: ');
  const outputs = [wrapped.message, wrapped.hint ?? '', JSON.stringify(wrapped.toJSON()), JSON.stringify(toEnvelopeError(raw, 'a-skill'))];
  for (const output of outputs) {
    for (const value of bound) expect(output).not.toContain(value);
    expect(output).not.toContain(SECRET.slice(0, 8));
  }
});

test('a value-free server message is kept as PostgreSQL wrote it', async () => {
  const { wrapped } = await failure('select * from qe_missing where id = $1', [SECRET]);
  expect(wrapped.message).toBe('writing qe_t: relation "qe_missing" does not exist');
  expect(wrapped.reason).toBe('undefined_object');
});
