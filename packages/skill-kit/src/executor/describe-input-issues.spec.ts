import { InputError } from '@pgcluster/core';
import { z } from 'zod';
import { describeInputIssues, inputFieldLabel, labelInputError, nearestName } from './describe-input-issues';

const describe_ = (schema: z.ZodType, value: unknown, knownFields?: string[]) => {
  const r = schema.safeParse(value);
  if (r.success) throw new Error('expected a failure');
  return describeInputIssues(r.error, 'input', knownFields ? { knownFields } : {});
};

describe('describeInputIssues', () => {
  it('names the flag and the JSON field of each problem in plain words, never zod wording', () => {
    const schema = z
      .object({
        limit: z.number().int().min(1),
        mode: z.enum(['fast', 'safe']),
        nodes: z.array(z.object({ name: z.string().regex(/^[a-z]+$/, 'must be lower-case letters') })),
        value: z.union([z.string(), z.number()]),
        targetRecall: z.number().max(1),
        collection: z.string(),
      })
      .strict();
    const lines = describe_(schema, { limit: 0, mode: 'x', nodes: [{ name: 'A' }], value: true, targetRecall: 2, extra: 1 });
    expect(lines).toEqual([
      '--limit (limit): must be at least 1',
      '--mode (mode): must be one of fast, safe',
      '--nodes (nodes[0].name): must be lower-case letters',
      '--value (value): must be a string or a number',
      '--target-recall (targetRecall): must be at most 1',
      '--collection (collection): is required',
      '--extra (extra): unknown field',
    ]);
    for (const line of lines) expect(line).not.toMatch(/input\.|Invalid|received undefined|Too (small|big)/);
  });

  it('a pattern without a message of its own: says the value does not match and shows the pattern allowed, never "valid regex"', () => {
    const schema = z.object({ maintenanceWorkMem: z.string().regex(/^[1-9][0-9]{0,6}(kB|MB|GB)$/) });
    expect(describe_(schema, { maintenanceWorkMem: '5TB' })).toEqual([
      '--maintenance-work-mem (maintenanceWorkMem): does not match the allowed form, the pattern /^[1-9][0-9]{0,6}(kB|MB|GB)$/',
    ]);
  });

  it('suggests the nearest known field for an unknown one', () => {
    const schema = z.object({ collection: z.string().optional() }).strict();
    expect(describe_(schema, { colection: 'docs' }, ['collection'])).toEqual(['--colection (colection): unknown field; did you mean --collection (collection)?']);
  });

  it('names the whole input when it is not an object, and redacts URLs in messages', () => {
    expect(describe_(z.object({}), 'x')).toEqual(['the input: must be an object, not a string']);
    const url = z.string().refine(() => false, { message: 'postgresql://u:pw@h/d is not allowed' });
    expect(describe_(z.object({ url }), { url: 'x' })).toEqual(['--url (url): postgresql://u:***@h/d is not allowed']);
  });

  it('keeps a plain path for values that are not a skill input', () => {
    const r = z.object({ n: z.number() }).safeParse({ n: 'x' });
    expect(describeInputIssues(r.error!, 'data')).toEqual(['data.n: must be a number, not a string']);
  });
});

describe('inputFieldLabel, labelInputError and nearestName', () => {
  it('labels fields with their flag', () => {
    expect(inputFieldLabel(['efSearch'])).toBe('--ef-search (efSearch)');
    expect(inputFieldLabel(['filter', 'lang'])).toBe('--filter (filter.lang)');
  });

  it('relabels an InputError about a top-level field and leaves others alone', () => {
    const labelled = labelInputError(new InputError('collection', 'must start with a letter'), ['collection']) as InputError;
    expect(labelled.message).toBe('--collection (collection): must start with a letter');
    const other = new InputError('file line 3', 'bad row');
    expect(labelInputError(other, ['collection'])).toBe(other);
  });

  it('suggests only close names', () => {
    expect(nearestName('colection', ['collection', 'database'])).toBe('collection');
    expect(nearestName('vector-serch', ['vector-search', 'vector-insert'])).toBe('vector-search');
    expect(nearestName('xyz', ['collection'])).toBeUndefined();
  });
});
