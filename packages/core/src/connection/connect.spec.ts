import { nodeAddress, urlWithDatabase } from './connect';

describe('connection URLs', () => {
  it('replaces the database of a URL, keeping credentials and parameters', () => {
    expect(urlWithDatabase('postgresql://u:p@h:5432/app?sslmode=disable', 'shared')).toBe('postgresql://u:p@h:5432/shared?sslmode=disable');
    expect(urlWithDatabase('postgresql://u:p@h:5432', 'app')).toBe('postgresql://u:p@h:5432/app');
  });

  it('labels a node without its user or password', () => {
    expect(nodeAddress('postgresql://u:secret@127.0.0.1:5433/app')).toBe('127.0.0.1:5433/app');
    expect(nodeAddress('not a url')).toBe('(invalid url)');
  });
});
