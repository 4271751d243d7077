import { classifyLogEntry, normaliseLogMessage } from './classify-log-entry';
import { parseJsonLog, parseStderrLog } from './log-entry';

describe('parseStderrLog', () => {
  const log = [
    '2026-11-30 08:40:14.306 GMT [9734] LOG:  database system is ready to accept connections',
    '2026-11-30 08:41:00.001 GMT [9801] app@shop ERROR:  duplicate key value violates unique constraint "orders_pkey"',
    '2026-11-30 08:41:00.001 GMT [9801] app@shop DETAIL:  Key (id)=(42) already exists.',
    "2026-11-30 08:41:00.001 GMT [9801] app@shop STATEMENT:  insert into orders values (42, 'card 4111')",
    '2026-11-30 08:42:00.500 GMT [9802] app@shop LOG:  duration: 1500.250 ms  statement: select *',
    "\t  from orders where note = 'x'",
    '2026-11-30 08:43:00.000 GMT [9803] app@shop FATAL:  password authentication failed for user "app"',
  ].join('\n');

  test('keeps severity, pid and message; drops DETAIL and STATEMENT lines (they carry values)', () => {
    const entries = parseStderrLog(log);
    expect(entries.map((e) => [e.severity, e.pid, e.message.split('\n')[0]])).toEqual([
      ['LOG', 9734, 'database system is ready to accept connections'],
      ['ERROR', 9801, 'duplicate key value violates unique constraint "orders_pkey"'],
      ['LOG', 9802, 'duration: 1500.250 ms  statement: select *'],
      ['FATAL', 9803, 'password authentication failed for user "app"'],
    ]);
    expect(JSON.stringify(entries)).not.toContain('4111');
    expect(entries[0]!.at.toISOString()).toBe('2026-11-30T08:40:14.306Z');
  });

  test('a slow statement keeps its continuation lines and its duration', () => {
    const slow = parseStderrLog(log)[2]!;
    expect(slow.durationMs).toBe(1500.25);
    expect(slow.statement).toContain("from orders where note = 'x'");
    expect(classifyLogEntry(slow)).toBe('slow_statements');
  });
});

describe('parseJsonLog', () => {
  test('reads jsonlog lines and skips a line cut by the tail window', () => {
    const text = [
      'error_severity":"LOG","message":"cut"}',
      JSON.stringify({ timestamp: '2026-11-30 08:40:14.306 GMT', pid: 7, error_severity: 'ERROR', state_code: '40P01', message: 'deadlock detected', statement: "update t set v = 'secret'" }),
    ].join('\n');
    const entries = parseJsonLog(text);
    expect(entries).toEqual([{ at: new Date('2026-11-30T08:40:14.306Z'), pid: 7, severity: 'ERROR', sqlstate: '40P01', message: 'deadlock detected' }]);
    expect(classifyLogEntry(entries[0]!)).toBe('deadlocks');
  });
});

describe('classifyLogEntry', () => {
  const at = new Date();
  test.each([
    [{ severity: 'FATAL', sqlstate: '53300', message: 'sorry, too many clients already' }, 'too_many_connections'],
    [{ severity: 'ERROR', sqlstate: '57014', message: 'canceling statement due to user request' }, 'other_errors'],
    [{ severity: 'ERROR', sqlstate: '57014', message: 'canceling statement due to statement timeout' }, 'statement_timeouts'],
    [{ severity: 'ERROR', sqlstate: null, message: 'canceling autovacuum task' }, 'autovacuum_cancelled'],
    [{ severity: 'LOG', sqlstate: null, message: 'checkpoints are occurring too frequently (9 seconds apart)' }, 'checkpoints_too_frequent'],
    [{ severity: 'WARNING', sqlstate: null, message: 'database "app" must be vacuumed within 9000000 transactions' }, 'wraparound_warnings'],
    [{ severity: 'LOG', sqlstate: null, message: 'checkpoint starting: time' }, null],
    [{ severity: 'LOG', sqlstate: '00000', message: 'AUDIT: SESSION,1,1,DDL,CREATE TABLE,TABLE,public.t,create table t (id int),<not logged>' }, 'audit_events'],
    [{ severity: 'LOG', sqlstate: '00000', message: 'AUDIT: OBJECT,3,1,WRITE,UPDATE,TABLE,public.t,update t set id = 2,<not logged>' }, 'audit_events'],
    [{ severity: 'ERROR', sqlstate: '42601', message: 'syntax error at or near "AUDIT: SESSION,1,1,"' }, 'other_errors'],
  ])('%j → %s', (entry, category) => {
    expect(classifyLogEntry({ at, pid: 1, ...entry })).toBe(category);
  });
});

describe('normaliseLogMessage', () => {
  test.each([
    ['invalid input syntax for type integer: "abc"', 'invalid input syntax for type integer: "?"'],
    ['password authentication failed for user "app"', 'password authentication failed for user "app"'],
    ['relation "orders" does not exist', 'relation "orders" does not exist'],
    ['value too long for type character varying(5)', 'value too long for type character varying(?)'],
    ["syntax error at or near \"'secret'\"", 'syntax error at or near "?"'],
  ])('%s', (message, expected) => {
    expect(normaliseLogMessage(message)).toBe(expected);
  });
});
