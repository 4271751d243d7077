import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors/pgcluster-error';
import { loadConfig } from './load-config';
import { readerConfig } from './reader-config';

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pgcluster-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = (path: string, value: unknown) => writeFileSync(path, JSON.stringify(value));
  const url = 'postgresql://app:s3cret@127.0.0.1:6000/app';

  it('finds pgcluster.config.json by walking up from the working directory', () => {
    write(join(dir, 'pgcluster.config.json'), { nodes: [{ name: 'node1', url }] });
    const deep = join(dir, 'a', 'b');
    mkdirSync(deep, { recursive: true });
    const loaded = loadConfig({ cwd: deep, env: {} });
    expect(loaded.source).toBe(join(dir, 'pgcluster.config.json'));
    expect(loaded.config.nodes).toEqual([{ name: 'node1', url }]);
    expect(loaded.config.name).toBe('pgcluster');
    expect(loaded.stateDir).toBe(join(dir, '.pgcluster'));
  });

  it('prefers PGCLUSTER_CONFIG over the upward search', () => {
    write(join(dir, 'pgcluster.config.json'), { nodes: [{ name: 'node1', url }] });
    write(join(dir, 'other.json'), { name: 'other', nodes: [{ name: 'x', url }] });
    expect(loadConfig({ cwd: dir, env: { PGCLUSTER_CONFIG: 'other.json' } }).config.name).toBe('other');
  });

  it('reads PGCLUSTER_* variables', () => {
    const loaded = loadConfig({
      cwd: dir,
      env: {
        PGCLUSTER_NODES: `${url},replica=postgresql://app:s3cret@127.0.0.1:6001/app`,
        PGCLUSTER_DATABASES: 'project=app,shared=shared',
        PGCLUSTER_STATE_DIR: 'state',
      },
    });
    expect(loaded.source).toBe('environment');
    expect(loaded.config.nodes?.map((n) => n.name)).toEqual(['node1', 'replica']);
    expect(loaded.config.databases).toEqual({ project: 'app', shared: 'shared' });
    expect(loaded.stateDir).toBe(join(dir, 'state'));
  });

  it('reads the least-privilege reader from PGCLUSTER_READER_*; readerConfig connects every node as it', () => {
    const loaded = loadConfig({
      cwd: dir,
      env: { PGCLUSTER_NODES: `${url},replica=postgresql://app:s3cret@127.0.0.1:6001/app`, PGCLUSTER_READER_USER: 'pgcluster_reader', PGCLUSTER_READER_PASSWORD: 'r3ader/s3cret@0123456789' },
    });
    expect(loaded.config.reader).toEqual({ user: 'pgcluster_reader', password: 'r3ader/s3cret@0123456789' });
    const asReader = readerConfig(loaded)!;
    expect(asReader.config.nodes!.map((n) => [decodeURIComponent(new URL(n.url).username), decodeURIComponent(new URL(n.url).password), new URL(n.url).port])).toEqual([
      ['pgcluster_reader', 'r3ader/s3cret@0123456789', new URL(url).port],
      ['pgcluster_reader', 'r3ader/s3cret@0123456789', '6001'],
    ]);
    expect(asReader.configured).toBe(loaded.config);
    expect(readerConfig({ ...loaded, config: { ...loaded.config, reader: undefined } })).toBeUndefined();
    let error: unknown;
    try {
      loadConfig({ cwd: dir, env: { PGCLUSTER_NODES: url, PGCLUSTER_READER_USER: 'Reader!', PGCLUSTER_READER_PASSWORD: 'short-s3cret' } });
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).message).toMatch(/reader\.user: .*reader\.password: must be at least 16 characters/);
    expect((error as ConfigError).message).not.toContain('short-s3cret');
  });

  it('names every invalid field and never echoes a password', () => {
    write(join(dir, 'pgcluster.config.json'), {
      nodes: [{ name: 'Node 1', url: 'mysql://root:hunter2@h/db' }],
      databases: { project: 'Bad-Name' },
    });
    let error: unknown;
    try {
      loadConfig({ cwd: dir, env: {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('nodes.0.name');
    expect(message).toContain('nodes.0.url');
    expect(message).toContain('databases.project');
    expect(message).not.toContain('hunter2');
    expect((error as ConfigError).code).toBe('INVALID_CONFIG');
  });

  it('requires nodes or patroni', () => {
    write(join(dir, 'pgcluster.config.json'), { name: 'empty' });
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/nodes: give either "nodes"/);
  });

  it('takes patroni.url as one API or several (url stays the first, urls lists them all)', () => {
    write(join(dir, 'pgcluster.config.json'), { patroni: { url: 'http://127.0.0.1:8008' } });
    expect(loadConfig({ cwd: dir, env: {} }).config.patroni).toEqual({ url: 'http://127.0.0.1:8008', urls: ['http://127.0.0.1:8008'] });
    write(join(dir, 'pgcluster.config.json'), { patroni: { url: ['http://127.0.0.1:8008', 'http://127.0.0.1:8009'], memberUrl: 'postgresql://app:pw@x/app' } });
    expect(loadConfig({ cwd: dir, env: {} }).config.patroni).toEqual({
      url: 'http://127.0.0.1:8008',
      urls: ['http://127.0.0.1:8008', 'http://127.0.0.1:8009'],
      memberUrl: 'postgresql://app:pw@x/app',
    });
    const fromEnv = loadConfig({ cwd: dir, env: { PGCLUSTER_PATRONI_URL: 'http://127.0.0.1:8010, http://127.0.0.1:8011' } }).config.patroni;
    expect(fromEnv?.urls).toEqual(['http://127.0.0.1:8010', 'http://127.0.0.1:8011']);
    write(join(dir, 'pgcluster.config.json'), { patroni: { url: [] } });
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/patroni.url/);
    write(join(dir, 'pgcluster.config.json'), { nodes: [{ name: 'n1', url: 'postgresql://a@h/d' }], pgbouncer: { adminUrl: 'postgresql://a@h:6432/pgbouncer', configFile: 'pgbouncer.ini' } });
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/pgbouncer.configFile: must be an absolute path/);
  });

  it('says how to get a config when there is none', () => {
    const isolated = mkdtempSync(join(tmpdir(), 'pgcluster-none-'));
    try {
      expect(() => loadConfig({ cwd: isolated, env: {} })).toThrow(
        expect.objectContaining({ code: 'CONFIG_NOT_FOUND', hint: expect.stringContaining('pgcluster dev up') }),
      );
    } finally {
      rmSync(isolated, { recursive: true, force: true });
    }
  });

  it('reports a file that is not JSON', () => {
    const path = join(dir, 'pgcluster.config.json');
    writeFileSync(path, '{ nodes: ');
    chmodSync(path, 0o600);
    expect(() => loadConfig({ cwd: dir, env: {} })).toThrow(/is not valid JSON/);
  });
});
