import { redactUrl } from '@pgcluster/core';
import type { SkillLogger } from '../skill/skill-meta';

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
export function createStderrLogger(options: StderrLoggerOptions = {}): SkillLogger {
  const fromEnv = (options.env ?? process.env)['PGCLUSTER_LOG']?.toLowerCase();
  const level: LogLevel = options.level ?? ((LOG_LEVELS as readonly string[]).includes(fromEnv ?? '') ? (fromEnv as LogLevel) : 'warn');
  const rank = LOG_LEVELS.indexOf(level);
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const prefix = options.prefix ?? 'pgcluster';
  // Security: every line goes through redactUrl, so a URL with a password never reaches a log.
  const emit = (at: LogLevel, message: string) => {
    if (LOG_LEVELS.indexOf(at) <= rank) write(`${prefix} ${at}: ${redactUrl(message)}\n`);
  };
  return {
    warn: (message) => emit('warn', message),
    info: (message) => emit('info', message),
    debug: (message) => emit('debug', message),
  };
}
