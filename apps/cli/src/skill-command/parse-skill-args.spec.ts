import type { GeneratedCommand } from './generated-command';
import { parseSkillArgs } from './parse-skill-args';

const command: Pick<GeneratedCommand, 'name' | 'flags'> = {
  name: 'vector-echo',
  flags: [
    { name: 'sample-ms', property: 'sampleMs', type: 'integer', description: '', required: false },
    { name: 'text', property: 'text', type: 'string', description: '', required: false },
    { name: 'loud', property: 'loud', type: 'boolean', description: '', required: false },
    { name: 'action', property: 'action', type: 'string', choices: ['say', 'shout'], description: '', required: false },
    { name: 'category', property: 'category', type: 'array', items: 'string', description: '', required: false },
  ],
};
const base = { format: 'human', dryRun: false, yes: false };

describe('parseSkillArgs (a skill command without yargs)', () => {
  it.each([
    [['vector-echo'], base],
    [['vector-echo', '--sample-ms', '0', '--format', 'json'], { ...base, 'sample-ms': 0, format: 'json' }],
    [['vector-echo', '--sample-ms=abc'], { ...base, 'sample-ms': 'abc' }],
    [['vector-echo', '--text=a b', '--loud', '--dry-run', '--yes'], { ...base, text: 'a b', loud: true, dryRun: true, yes: true }],
    [['vector-echo', '--no-loud', '--action', 'shout'], { ...base, loud: false, action: 'shout' }],
    [['vector-echo', '--loud', 'false', '--category', 'a', 'b', '--category', 'c'], { ...base, loud: false, category: ['a', 'b', 'c'] }],
    [['vector-echo', '--text', 'x', '--text', 'y', '--timeout', '500', '--config', 'c.json'], { ...base, text: ['x', 'y'], timeout: 500, config: 'c.json' }],
    [['vector-echo', '--input={"text":"hi"}'], { ...base, input: '{"text":"hi"}' }],
  ])('%j', (args, expected) => {
    expect(parseSkillArgs(command, args)).toEqual(expected);
  });

  it.each([
    [['vector-echo', '--help']],
    [['vector-echo', '-h']],
    [['vector-echo', '--txet', 'hi']],
    [['vector-echo', '--sampleMs', '3']],
    [['vector-echo', '--action', 'whisper']],
    [['vector-echo', 'extra']],
    [['vector-echo', '--text']],
    [['vector-echo', '--text', '-1']],
    [['vector-echo', '--category']],
    [['vector-echo', '--loud=maybe']],
    [['vector-echo', '--', '--text']],
    [['other-skill']],
  ])('leaves %j to yargs (its help and error messages)', (args) => {
    expect(parseSkillArgs(command, args)).toBeUndefined();
  });

  it('checks --format and --timeout as the yargs path does, naming the flag', () => {
    expect(() => parseSkillArgs(command, ['vector-echo', '--format', 'xml'])).toThrow('must be one of json, human, prometheus (got "xml")');
    expect(() => parseSkillArgs(command, ['vector-echo', '--timeout', '0'])).toThrow('must be a positive number of milliseconds');
  });
});
