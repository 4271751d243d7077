import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors/pgcluster-error';
import { jsonSyntaxError, redactUrl } from '../redaction/redact';
import { ClusterConfig, type ClusterConfigInput } from './cluster-config';

/** The file name searched for from the working directory upwards. */
export const CONFIG_FILE_NAME = 'pgcluster.config.json';

/** Where to look for the configuration. */
export interface LoadConfigOptions {
  /** An explicit file (the CLI's `--config`); wins over everything else. */
  path?: string;
  /** Where the upward search starts; defaults to `process.cwd()`. */
  cwd?: string;
  /** The environment to read `PGCLUSTER_*` from; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** A loaded configuration and where it came from. */
export interface LoadedConfig {
  config: ClusterConfig;
  /** The file it was read from, or `"environment"`. */
  source: string;
  /** `stateDir` made absolute (relative to the config file's folder, or the cwd). */
  stateDir: string;
  /**
   * The configuration as written, when `config` is a view of it that connects as another login
   * (the least-privilege reader's, see `readerConfig`): its own logins are still known.
   */
  configured?: ClusterConfig;
}

/**
 * Loads the cluster configuration: `options.path`, else `PGCLUSTER_CONFIG`, else
 * `PGCLUSTER_NODES` / `PGCLUSTER_PATRONI_URL` variables, else `pgcluster.config.json`
 * found by walking up from the working directory. Every invalid field is named.
 *
 * Variables: `PGCLUSTER_NODES` (comma-separated URLs, or `name=url` pairs),
 * `PGCLUSTER_PATRONI_URL`, `PGCLUSTER_PGBOUNCER_ADMIN_URL`, `PGCLUSTER_DATABASES`
 * (`project=app,shared=shared`), `PGCLUSTER_STATE_DIR`, `PGCLUSTER_NAME`, and the least-privilege
 * reader of read-only skills: `PGCLUSTER_READER_USER` with `PGCLUSTER_READER_PASSWORD`.
 *
 * @example
 * ```ts
 * const { config, stateDir } = loadConfig({ cwd: '/srv/app' })
 * ```
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.path ?? env['PGCLUSTER_CONFIG'];
  if (explicit) return fromFile(isAbsolute(explicit) ? explicit : resolve(cwd, explicit), true);
  if (env['PGCLUSTER_NODES'] || env['PGCLUSTER_PATRONI_URL']) {
    const config = parseConfig(configFromEnv(env), 'environment (PGCLUSTER_*)');
    return { config, source: 'environment', stateDir: resolve(cwd, config.stateDir) };
  }
  const found = findConfigFile(cwd);
  if (!found) {
    throw new ConfigError(`no ${CONFIG_FILE_NAME} in ${cwd} or any folder above it, and no PGCLUSTER_NODES`, {
      notFound: true,
      hint: 'Start a local cluster with `pgcluster dev up` (it writes the file), or pass --config, or set PGCLUSTER_NODES.',
    });
  }
  return fromFile(found, false);
}

/**
 * Finds `pgcluster.config.json` in `cwd` or the nearest folder above it.
 * @returns the absolute path, or undefined.
 */
export function findConfigFile(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * Validates a raw configuration object.
 * @param source named in error messages (a file path or "environment").
 * @throws ConfigError naming every invalid field.
 */
export function parseConfig(raw: unknown, source: string): ClusterConfig {
  const result = ClusterConfig.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(`invalid configuration in ${source}: ${describeIssues(result.error)}`, {
    hint: 'Fix the named fields; `pgcluster dev up` writes a valid file for a local cluster.',
  });
}

/**
 * Formats zod issues as `field: message; field: message`, with URLs' passwords redacted.
 * @example describeIssues(err) // 'nodes.0.url: must be a postgresql:// URL ...'
 */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${redactUrl(i.message)}`)
    .join('; ');
}

function fromFile(path: string, explicit: boolean): LoadedConfig {
  if (!existsSync(path)) {
    throw new ConfigError(`config file ${path} does not exist`, {
      notFound: true,
      hint: explicit ? 'Check --config / PGCLUSTER_CONFIG.' : undefined,
    });
  }
  let raw: unknown;
  const text = readFileSync(path, 'utf8');
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${jsonSyntaxError(error, text)}`);
  }
  const config = parseConfig(raw, path);
  return { config, source: path, stateDir: resolve(dirname(path), config.stateDir) };
}

function configFromEnv(env: NodeJS.ProcessEnv): ClusterConfigInput {
  const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const nodes = list(env['PGCLUSTER_NODES']).map((entry, i) => {
    const eq = entry.indexOf('=');
    const named = eq > 0 && !entry.slice(0, eq).includes(':');
    return named ? { name: entry.slice(0, eq), url: entry.slice(eq + 1) } : { name: `node${i + 1}`, url: entry };
  });
  const databases = Object.fromEntries(
    list(env['PGCLUSTER_DATABASES']).map((pair) => {
      const [k = '', v = ''] = pair.split('=');
      return [k, v];
    }),
  );
  return {
    ...(env['PGCLUSTER_NAME'] ? { name: env['PGCLUSTER_NAME'] } : {}),
    ...(nodes.length ? { nodes } : {}),
    ...(env['PGCLUSTER_PATRONI_URL'] ? { patroni: { url: list(env['PGCLUSTER_PATRONI_URL']), ...(env['PGCLUSTER_PATRONI_MEMBER_URL'] ? { memberUrl: env['PGCLUSTER_PATRONI_MEMBER_URL'] } : {}) } } : {}),
    ...(env['PGCLUSTER_PGBOUNCER_ADMIN_URL'] ? { pgbouncer: { adminUrl: env['PGCLUSTER_PGBOUNCER_ADMIN_URL'] } } : {}),
    ...(Object.keys(databases).length ? { databases } : {}),
    ...(env['PGCLUSTER_STATE_DIR'] ? { stateDir: env['PGCLUSTER_STATE_DIR'] } : {}),
    ...(env['PGCLUSTER_READER_USER'] || env['PGCLUSTER_READER_PASSWORD'] ? { reader: { user: env['PGCLUSTER_READER_USER'] ?? '', password: env['PGCLUSTER_READER_PASSWORD'] ?? '' } } : {}),
  };
}
