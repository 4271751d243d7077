import { parseQualifiedName, quoteIdent, quoteLiteral } from './qualified-name';

describe('parseQualifiedName', () => {
  test.each([
    ['items', { name: 'items' }],
    ['public.items', { schema: 'public', name: 'items' }],
    ['"Sales"."Q1 2026"', { schema: 'Sales', name: 'Q1 2026' }],
    ['public."Odd ""quoted"" name"', { schema: 'public', name: 'Odd "quoted" name' }],
    ['"a.b".c', { schema: 'a.b', name: 'c' }],
  ])('%s', (value, expected) => expect(parseQualifiedName(value, 'table')).toEqual(expected));

  test.each([
    ['a.b.c', /at most one dot/],
    ['x;drop table t', /";" is allowed only inside double quotes/],
    ['Items', /lower-case identifier/],
    ['"unterminated', /lower-case identifier/],
    ['""', /lower-case identifier/],
    ['public.', /lower-case identifier/],
    [`"${'x'.repeat(64)}"`, /at most 63 bytes/],
  ])('refuses %s, naming the field', (value, message) => {
    expect(() => parseQualifiedName(value, 'table')).toThrow(/^table: /);
    expect(() => parseQualifiedName(value, 'table')).toThrow(message);
  });

  test('quoting doubles quotes and round-trips through the parser', () => {
    expect(quoteIdent('Odd "x"')).toBe('"Odd ""x"""');
    expect(parseQualifiedName(`${quoteIdent('a"b')}.${quoteIdent('c.d')}`, 'index')).toEqual({ schema: 'a"b', name: 'c.d' });
    expect(quoteLiteral("tx'1")).toBe("'tx''1'");
  });
});
