import { checkFormat, checkTimeout, formatOf } from './global-options';

describe('global options', () => {
  it('checkFormat names --format and the allowed values', () => {
    expect(checkFormat('json')).toBe('json');
    expect(checkFormat(['human', 'prometheus'])).toBe('prometheus');
    expect(() => checkFormat('xml')).toThrow('--format: must be one of json, human, prometheus (got "xml")');
  });

  it('checkTimeout wants positive milliseconds', () => {
    expect(checkTimeout(undefined)).toBeUndefined();
    expect(checkTimeout(500)).toBe(500);
    expect(() => checkTimeout(0)).toThrow('--timeout: must be a positive number of milliseconds (got 0)');
  });

  it('formatOf reads --format without yargs', () => {
    expect(formatOf(['x', '--format', 'json'])).toBe('json');
    expect(formatOf(['x', '--format=prometheus', '--bogus'])).toBe('prometheus');
    expect(formatOf(['x', '--format', 'xml'])).toBe('human');
    expect(formatOf(['x', '--', '--format', 'json'])).toBe('human');
  });
});
