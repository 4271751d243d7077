import { postgresUrl, withDatabase } from './postgres-url';

test('postgresUrl percent-encodes the password and database', () => {
  expect(postgresUrl({ user: 'app', password: 'p@s/s', host: '127.0.0.1', port: 5433, database: 'db' })).toBe('postgresql://app:p%40s%2Fs@127.0.0.1:5433/db');
});

test('withDatabase swaps only the database', () => {
  expect(withDatabase('postgresql://u:p%40@h:1/a?sslmode=disable', 'b')).toBe('postgresql://u:p%40@h:1/b?sslmode=disable');
});
