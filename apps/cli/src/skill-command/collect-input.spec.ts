import { InputError } from '@pgcluster/core';
import { collectInput } from './collect-input';
import type { GeneratedFlag } from './generated-command';

const flag = (name: string, property: string, type: GeneratedFlag['type'], extra: Partial<GeneratedFlag> = {}): GeneratedFlag => ({
  name,
  property,
  type,
  description: '',
  required: false,
  ...extra,
});
const command = {
  name: 'vector-search',
  flags: [
    flag('collection', 'collection', 'string'),
    flag('ef-search', 'efSearch', 'integer'),
    flag('vector', 'vector', 'array', { items: 'number' }),
    flag('exact', 'exact', 'boolean'),
    flag('filter', 'filter', 'json'),
  ],
};
const noStdin = async () => '';

describe('collectInput', () => {
  it('maps flags to input fields', async () => {
    expect(await collectInput(command, { collection: 'docs', 'ef-search': 80, vector: ['0.5', '1'], exact: true, filter: '{"lang":"en"}' }, noStdin)).toEqual({
      collection: 'docs',
      efSearch: 80,
      vector: [0.5, 1],
      exact: true,
      filter: { lang: 'en' },
    });
  });

  it('takes --input JSON verbatim, and flags win over its fields', async () => {
    expect(await collectInput(command, { input: '{"collection":"a","efSearch":40,"extra":1}', 'ef-search': 80 }, noStdin)).toEqual({ collection: 'a', efSearch: 80, extra: 1 });
  });

  it('reads --input - from stdin', async () => {
    expect(await collectInput(command, { input: '-' }, async () => '{"collection":"b"}\n')).toEqual({ collection: 'b' });
  });

  it('accepts a JSON array for an array flag', async () => {
    expect(await collectInput(command, { vector: ['[0.1, 0.2]'] }, noStdin)).toEqual({ vector: [0.1, 0.2] });
  });

  it.each([
    [{ 'ef-search': Number.NaN }, '--ef-search (efSearch): must be an integer'],
    [{ 'ef-search': 1.5 }, '--ef-search (efSearch): must be an integer (got 1.5)'],
    [{ vector: ['a'] }, '--vector (vector): must be a number'],
    [{ filter: '{' }, '--filter (filter): must be JSON'],
    [{ input: 'nope' }, '--input: must be a JSON object matching the input schema of vector-search'],
    [{ input: '3' }, 'got a number'],
    [{ input: ['{}', '{}'] }, 'give it once'],
  ])('%j is an InputError naming the flag', async (argv, message) => {
    const error = await collectInput(command, argv, noStdin).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain(message);
  });
});
