import { normaliseStatement } from './normalise-statement';

describe('normaliseStatement', () => {
  test.each([
    ["ALTER ROLE app PASSWORD 'hunter2'", 'ALTER ROLE app PASSWORD ?'],
    ["alter role app with encrypted password 'it''s secret' valid until '2030-01-01'", 'alter role app with encrypted password ? valid until ?'],
    ['select * from t where id = $1 limit 10', 'select * from t where id = $1 limit ?'],
    ["insert into t values (E'a\\'b', 3.5e2, -7)", 'insert into t values (?, ?, ?)'],
    ['do $body$ begin perform 1; end $body$', 'do ?'],
    ["select 'postgresql://u:pw@h/db'", 'select ?'],
    ['select col1, t2.c3 from t2', 'select col1, t2.c3 from t2'],
  ])('%s', (input, expected) => {
    expect(normaliseStatement(input)).toBe(expected);
  });

  test('an unterminated literal is cut, not printed', () => {
    expect(normaliseStatement("select 'abc")).toBe('select ?');
  });

  test('long text is cut', () => {
    expect(normaliseStatement(`select ${'x, '.repeat(500)}y`).length).toBeLessThanOrEqual(400);
  });
});
