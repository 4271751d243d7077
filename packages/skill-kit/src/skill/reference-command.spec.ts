import { flagName, referenceCommand } from './reference-command';

describe('referenceCommand', () => {
  it('renders the input as the flags the CLI derives, quoting only where the shell needs it', () => {
    expect(referenceCommand({ skill: 'vector-index', input: { action: 'tune', collection: 'docs', targetRecall: 0.95 } })).toBe(
      'pgcluster vector-index --action tune --collection docs --target-recall 0.95',
    );
    expect(referenceCommand({ skill: 'vector-search', input: { collection: 'docs', vector: [0.1, 0.2], filter: { lang: 'en' }, note: "it's" } })).toBe(
      `pgcluster vector-search --collection docs --vector '[0.1,0.2]' --filter '{"lang":"en"}' --note 'it'\\''s'`,
    );
  });

  it('repeats list flags, writes booleans as bare or --no- flags, keeps placeholders, adds global options', () => {
    expect(referenceCommand({ skill: 'vector-benchmark', input: { efSearch: [40, 100], exact: true, rewind: false, collection: '<collection>' } }, { format: 'json', dryRun: true, yes: true, timeout: 1000 })).toBe(
      'pgcluster vector-benchmark --ef-search 40 --ef-search 100 --exact --no-rewind --collection <collection> --format json --timeout 1000 --dry-run --yes',
    );
  });

  it('sends a field named like a global flag through --input', () => {
    expect(referenceCommand({ skill: 'vector-insert', input: { collection: 'docs', format: 'csv' } })).toBe(`pgcluster vector-insert --collection docs --input '{"format":"csv"}'`);
  });

  it('derives flag names like skillgen', () => {
    expect(flagName('efSearch')).toBe('ef-search');
    expect(flagName('lag_bytes_threshold')).toBe('lag-bytes-threshold');
  });
});
