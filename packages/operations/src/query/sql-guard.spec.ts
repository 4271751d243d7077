import { checkReadOnlySql } from './sql-guard';

const refused = (sql: string, options?: { allowAnalyze?: boolean }): string => {
  try {
    checkReadOnlySql(sql, options);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`not refused: ${sql}`);
};

test('one read statement passes, with its kind; a trailing semicolon is dropped', () => {
  expect(checkReadOnlySql('select * from docs limit 5;')).toEqual({ kind: 'select', text: 'select * from docs limit 5', analyze: false });
  expect(checkReadOnlySql('WITH x AS (SELECT 1) SELECT * FROM x').kind).toBe('select');
  expect(checkReadOnlySql('(select 1) union (select 2)').kind).toBe('select');
  expect(checkReadOnlySql('values (1)').kind).toBe('select');
  expect(checkReadOnlySql('table docs').kind).toBe('select');
  expect(checkReadOnlySql('EXPLAIN (FORMAT JSON) SELECT 1').kind).toBe('explain');
  expect(checkReadOnlySql('show work_mem').kind).toBe('show');
  // Semicolons and forbidden names inside strings, dollar quotes and comments are data, not SQL.
  expect(checkReadOnlySql("select 'a; drop table t', $$pg_read_file$$ -- ; delete\n").kind).toBe('select');
  expect(checkReadOnlySql("select E'it\\'s; insert' /* nested /* ; */ update */").kind).toBe('select');
});

test.each([
  ['COMMIT; DROP TABLE t', /one statement per call/],
  ['select 1; select 2', /one statement per call/],
  ['select 1 /* ; */; drop table t', /one statement per call/],
  ['DROP TABLE t', /starts with "drop"/],
  ['SET TRANSACTION READ WRITE', /starts with "set"/],
  ['begin read write', /starts with "begin"/],
  ["COPY (SELECT 1) TO PROGRAM 'id'", /starts with "copy"/],
  ["SELECT pg_read_file('/etc/passwd')", /names pg_read_file/],
  ['select "pg_read_file"(\'/etc/passwd\')', /names pg_read_file/],
  ["select pg_catalog.PG_READ_BINARY_FILE('/etc/passwd')", /names pg_read_binary_file/],
  ["select * from pg_ls_dir('.')", /names pg_ls_dir/],
  ["select lo_import('/etc/passwd')", /names lo_import/],
  ["select dblink_exec('dbname=app', 'drop table t')", /names dblink_exec/],
  ["select query_to_xml('delete from t', true, false, '')", /names query_to_xml/],
  ["select set_config('transaction_read_only', 'off', true)", /names set_config/],
  ["select nextval('s')", /names nextval/],
  ['select pg_advisory_lock(1)', /names pg_advisory_lock/],
  ['WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x', /DELETE/],
  ['with x as (insert into t values (1) returning *) select 1', /INSERT/],
  ['select * into new_t from t', /INTO/],
  ['select * from t for update', /UPDATE/],
  ['select * from t for key share', /FOR SHARE/],
  ['EXPLAIN ANALYZE SELECT 1', /EXPLAIN ANALYZE/],
  ['explain (analyse, buffers) select 1', /EXPLAIN ANALYZE/],
  ['explain delete from t', /must explain a SELECT/],
  ['select U&"\\0070g_read_file"(\'/etc/passwd\')', /U& Unicode escape/],
  ["select 'unterminated", /unterminated string/],
  ['select 1 /* open', /unterminated/],
  ['', /is empty/],
])('refuses %s', (sql, why) => {
  expect(refused(sql)).toMatch(why);
  expect(refused(sql)).toMatch(/^sql: /);
});

test('EXPLAIN ANALYZE runs only when allowed', () => {
  expect(checkReadOnlySql('EXPLAIN ANALYZE SELECT 1', { allowAnalyze: true })).toEqual({ kind: 'explain', text: 'EXPLAIN ANALYZE SELECT 1', analyze: true });
});
