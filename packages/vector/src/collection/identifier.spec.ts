import { InputError } from '@pgcluster/core';
import { qualifiedName, quoteIdent, validateCollectionName, validateIdentifier } from './identifier';

describe('identifier checks', () => {
  it('accepts plain lower-case names', () => {
    expect(validateCollectionName('docs')).toBe('docs');
    expect(validateCollectionName('_items_2024')).toBe('_items_2024');
    expect(validateIdentifier('public', 'schema')).toBe('public');
    expect(qualifiedName('public', 'docs')).toBe('"public"."docs"');
  });

  it.each([
    'Docs',
    'docs; drop table users',
    'x"; drop table t;--',
    'a b',
    'a.b',
    '1docs',
    '',
    'dócs',
    'a'.repeat(49),
    'pg_class',
    'docs\u0000',
    "o'brien",
  ])('refuses the hostile or invalid name %p, naming the field', (name) => {
    expect(() => validateCollectionName(name, 'input.collection')).toThrow(InputError);
    try {
      validateCollectionName(name, 'input.collection');
    } catch (e) {
      expect((e as InputError).field).toBe('input.collection');
      expect((e as InputError).message).toMatch(/^input\.collection: /);
    }
  });

  it('refuses non-strings and system schemas', () => {
    expect(() => validateCollectionName(42)).toThrow(InputError);
    expect(() => validateIdentifier('pg_catalog', 'schema')).toThrow(/schema/);
    expect(() => validateIdentifier('information_schema', 'schema')).toThrow(/schema/);
    expect(() => quoteIdent('a"b')).toThrow(InputError);
  });
});
