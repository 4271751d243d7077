import { redactUrl } from '@pgcluster/core';
import type { ProgressUpdate, SkillLogger } from '../skill/skill-meta';

/** Log levels, quietest first; `PGCLUSTER_LOG` picks one. */
export const LOG_LEVELS = ['silent', 'warn', 'info', 'debug'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Options of {@link createStderrLogger}. */
export interface StderrLoggerOptions {
  /** Default: `PGCLUSTER_LOG` from `env`, else `warn` (warnings only). */
  level?: LogLevel;
  /** Where `PGCLUSTER_LOG` is read; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Put before every line, e.g. the skill's name; default `pgcluster`. */
  prefix?: string;
  /** Where lines go; default `process.stderr` (stdout is reserved for the one result). */
  write?: (line: string) => void;
  /** Draw progress as a live bar (stderr is a terminal); default `process.stderr.isTTY`. */
  tty?: boolean;
  /** Without a terminal, at most one progress line this often; default 5,000 ms. */
  progressIntervalMs?: number;
  /** The clock, in ms; default `Date.now`. */
  now?: () => number;
}

/**
 * A {@link SkillLogger} writing `prefix level: message` lines to stderr, with passwords in
 * URLs redacted. Quiet by default: warnings only, unless `PGCLUSTER_LOG=info` or `debug`.
 *
 * @example
 * ```ts
 * const log = createStderrLogger({ prefix: 'cluster-status' })
 * log.info('probing 3 nodes') // shown with PGCLUSTER_LOG=info
 * ```
 */
export function createStderrLogger(options: StderrLoggerOptions = {}): StderrLogger {
  const fromEnv = (options.env ?? process.env)['PGCLUSTER_LOG']?.toLowerCase();
  const level: LogLevel = options.level ?? ((LOG_LEVELS as readonly string[]).includes(fromEnv ?? '') ? (fromEnv as LogLevel) : 'warn');
  const rank = LOG_LEVELS.indexOf(level);
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const prefix = options.prefix ?? 'pgcluster';
  // Security: every line goes through redactUrl, so a URL with a password never reaches a log.
  const emit = (at: LogLevel, message: string) => {
    if (LOG_LEVELS.indexOf(at) <= rank) write(`${prefix} ${at}: ${redactUrl(message)}\n`);
  };
  const progress = progressWriter({
    write,
    prefix,
    tty: options.tty ?? process.stderr.isTTY === true,
    intervalMs: options.progressIntervalMs ?? 5_000,
    now: options.now ?? Date.now,
  });
  const line = (at: LogLevel, message: string) => {
    progress.clear();
    emit(at, message);
  };
  return {
    warn: (message) => line('warn', message),
    info: (message) => line('info', message),
    debug: (message) => line('debug', message),
    // Progress is shown by default; only PGCLUSTER_LOG=silent hides it.
    progress: (update) => {
      if (level !== 'silent') progress.update(update);
    },
    endProgress: () => progress.end(),
  };
}

/** A {@link SkillLogger} on stderr that can end a progress bar left open (a run without a known total). */
export interface StderrLogger extends SkillLogger {
  progress(update: ProgressUpdate): void;
  /** Ends a bar still drawn with a newline, keeping its last state on screen; call it when the run is over. */
  endProgress(): void;
}

interface ProgressConfig {
  write: (line: string) => void;
  prefix: string;
  tty: boolean;
  intervalMs: number;
  now: () => number;
}

/** Renders {@link ProgressUpdate}s: a bar redrawn in place on a terminal, else a plain line now and then. */
function progressWriter(config: ProgressConfig): { update(u: ProgressUpdate): void; clear(): void; end(): void } {
  // One bar from its first update to the one that finishes it (its label may change on the way, e.g. a phase).
  let started: number | undefined;
  let finished = false;
  let lastAt = -Infinity;
  let drawn = false;
  const clear = () => {
    if (drawn) config.write('\r\u001b[2K');
    drawn = false;
  };
  return {
    clear,
    end() {
      if (drawn) config.write('\n');
      drawn = false;
      started = undefined;
    },
    update(u) {
      const now = config.now();
      const ends = u.total !== undefined && u.done >= u.total;
      if (ends && finished) return; // the same end reported twice
      finished = ends;
      started ??= now;
      const every = config.tty ? 100 : config.intervalMs;
      if (!ends && now - lastAt < every) return;
      lastAt = now;
      const text = progressText(u, now - started, config.tty);
      if (config.tty) {
        config.write(`\r\u001b[2K${config.prefix} ${text}${ends ? '\n' : ''}`);
        drawn = !ends;
      } else {
        config.write(`${config.prefix} progress: ${text}\n`);
      }
      if (ends) started = undefined;
    },
  };
}

function progressText(u: ProgressUpdate, elapsedMs: number, bar: boolean): string {
  const amount = (n: number) => (u.unit === 'bytes' ? megabytes(n) : `${Math.round(n).toLocaleString('en-US')} ${u.unit}`);
  const rate = elapsedMs > 0 ? (u.done * 1000) / elapsedMs : 0;
  const parts = [u.label];
  if (u.total !== undefined && u.total > 0) {
    const share = Math.min(1, u.done / u.total);
    const width = 20;
    const filled = Math.round(share * width);
    parts.push(`${bar ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : ''}${Math.floor(share * 100)}%`);
    // Steps are only a measure of the whole: the percentage says it; rows and bytes are worth reading.
    if (u.unit !== 'steps') parts.push(`${amount(u.done)} of ${amount(u.total)}`);
    if (rate > 0 && share < 1) {
      if (u.unit !== 'steps') parts.push(rateText(rate, u.unit));
      parts.push(`ETA ${seconds((u.total - u.done) / rate)}`);
    }
  } else {
    parts.push(amount(u.done));
    if (rate > 0) parts.push(rateText(rate, u.unit));
  }
  if (u.total !== undefined && u.done >= u.total) parts.push(`done in ${seconds(elapsedMs / 1000)}`);
  return parts.join(' · ');
}

function rateText(rate: number, unit: ProgressUpdate['unit']): string {
  return unit === 'bytes' ? `${megabytes(rate)}/s` : `${Math.round(rate).toLocaleString('en-US')} ${unit}/s`;
}

function megabytes(n: number): string {
  return n >= 1024 ** 3 ? `${(n / 1024 ** 3).toFixed(1)} GB` : `${(n / 1024 ** 2).toFixed(1)} MB`;
}

function seconds(s: number): string {
  return s < 60 ? `${Math.max(0, Math.round(s))} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
