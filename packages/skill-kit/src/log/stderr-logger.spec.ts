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

  describe('progress', () => {
    const progressLog = (tty: boolean, env: NodeJS.ProcessEnv = {}) => {
      const lines: string[] = [];
      let clock = 0;
      const log = createStderrLogger({ env, tty, prefix: 'vector-insert', write: (l) => void lines.push(l), progressIntervalMs: 5_000, now: () => clock });
      return { lines, log, at: (ms: number) => void (clock = ms) };
    };

    it('draws a bar in place on a terminal, with percent, rate and ETA, ending with a newline', () => {
      const { lines, log, at } = progressLog(true);
      log.progress!({ label: 'inserting into docs', done: 0, total: 40_000, unit: 'rows' });
      at(2_000);
      log.progress!({ label: 'inserting into docs', done: 10_000, total: 40_000, unit: 'rows' });
      at(2_050);
      log.progress!({ label: 'inserting into docs', done: 10_500, total: 40_000, unit: 'rows' }); // too soon: not redrawn
      at(8_000);
      log.progress!({ label: 'inserting into docs', done: 40_000, total: 40_000, unit: 'rows' });
      expect(lines).toEqual([
        '\r\u001b[2Kvector-insert inserting into docs · [--------------------] 0% · 0 rows of 40,000 rows',
        '\r\u001b[2Kvector-insert inserting into docs · [#####---------------] 25% · 10,000 rows of 40,000 rows · 5,000 rows/s · ETA 6 s',
        '\r\u001b[2Kvector-insert inserting into docs · [####################] 100% · 40,000 rows of 40,000 rows · done in 8 s\n',
      ]);
    });

    it('writes a plain line every few seconds when stderr is not a terminal, shown by default, hidden when silent', () => {
      const { lines, log, at } = progressLog(false);
      log.progress!({ label: 'backup app', done: 0, unit: 'bytes' });
      at(1_000);
      log.progress!({ label: 'backup app', done: 1_048_576, unit: 'bytes' });
      at(6_000);
      log.progress!({ label: 'backup app', done: 6 * 1_048_576, unit: 'bytes' });
      expect(lines).toEqual(['vector-insert progress: backup app · 0.0 MB\n', 'vector-insert progress: backup app · 6.0 MB · 1.0 MB/s\n']);
      const silent = progressLog(false, { PGCLUSTER_LOG: 'silent' });
      silent.log.progress!({ label: 'backup app', done: 1, unit: 'bytes' });
      expect(silent.lines).toEqual([]);
    });

    it('clears a bar before another line, so the two never mix', () => {
      const { lines, log } = progressLog(true);
      log.progress!({ label: 'x', done: 1, total: 2, unit: 'steps' });
      log.warn('careful');
      expect(lines.slice(1)).toEqual(['\r\u001b[2K', 'vector-insert warn: careful\n']);
    });
  });
});

describe('endProgress', () => {
  it('ends a bar without a known total with a newline, and does nothing when none is drawn', () => {
    const lines: string[] = [];
    const log = createStderrLogger({ env: {}, tty: true, prefix: 'cluster-backup', write: (l) => void lines.push(l), now: () => 0 });
    log.endProgress();
    expect(lines).toEqual([]);
    log.progress({ label: 'backup app', done: 2 * 1_048_576, unit: 'bytes' });
    log.endProgress();
    expect(lines).toEqual(['\r\u001b[2Kcluster-backup backup app · 2.0 MB', '\n']);
  });
});
