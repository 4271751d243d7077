import { createStderrLogger } from './stderr-logger';

describe('createStderrLogger', () => {
  const capture = (env: NodeJS.ProcessEnv) => {
    const lines: string[] = [];
    const log = createStderrLogger({ env, prefix: 'cluster-status', write: (l) => void lines.push(l) });
    log.warn('w');
    log.info('i');
    log.debug('d postgresql://u:secret@h/db');
    return lines;
  };

  it('is quiet by default: warnings only', () => {
    expect(capture({})).toEqual(['cluster-status warn: w\n']);
  });

  it('follows PGCLUSTER_LOG and redacts URL passwords', () => {
    expect(capture({ PGCLUSTER_LOG: 'info' })).toEqual(['cluster-status warn: w\n', 'cluster-status info: i\n']);
    expect(capture({ PGCLUSTER_LOG: 'DEBUG' })[2]).toBe('cluster-status debug: d postgresql://u:***@h/db\n');
    expect(capture({ PGCLUSTER_LOG: 'silent' })).toEqual([]);
    expect(capture({ PGCLUSTER_LOG: 'loud' })).toHaveLength(1);
  });

  it('writes to stderr, never stdout', () => {
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    createStderrLogger({ level: 'debug' }).info('hello');
    expect(err).toHaveBeenCalledWith('pgcluster info: hello\n');
    expect(out).not.toHaveBeenCalled();
    jest.restoreAllMocks();
  });
});
