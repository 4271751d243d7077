import type { CommandModule } from 'yargs';
import { MAX_REPLICAS } from '@pgcluster/testing';
import type { DevIo } from '../dev/dev-context';
import { devDown } from '../dev/dev-down';
import { DEV_STATUS_FORMATS, devStatus, type DevStatusFormat } from '../dev/dev-status';
import { devUp } from '../dev/dev-up';

const stdio: DevIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

interface UpArgs {
  replicas?: string;
  synchronous?: boolean;
  fast?: boolean;
}

interface StatusArgs {
  format?: DevStatusFormat;
}

interface DownArgs {
  purge?: boolean;
}

const upCommand: CommandModule<object, UpArgs> = {
  command: 'up',
  describe: 'Start a local cluster (a primary and streaming replicas with pgvector) under ./.pgcluster/dev and write ./pgcluster.config.json',
  builder: (y) =>
    y
      .option('replicas', { type: 'string', describe: `Streaming replicas, an integer from 0 to ${MAX_REPLICAS} (default 2)` })
      .option('synchronous', { type: 'boolean', default: false, describe: "Synchronous replication: the primary waits for ANY 1 replica" })
      .option('fast', { type: 'boolean', default: false, hidden: true, describe: 'fsync off: for throwaway clusters (CI) only' }),
  handler: async (argv) => {
    process.exitCode = await devUp({ cwd: process.cwd(), replicas: argv.replicas, synchronous: argv.synchronous, fast: argv.fast }, stdio);
  },
};

const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: "Show each dev node's role, port, state and replication lag (exit 0 all up, 1 something down, 2 no dev cluster)",
  builder: (y) => y.option('format', { choices: DEV_STATUS_FORMATS, default: 'human' as DevStatusFormat, describe: 'Output format' }),
  handler: async (argv) => {
    process.exitCode = await devStatus({ cwd: process.cwd(), format: argv.format }, stdio);
  },
};

const downCommand: CommandModule<object, DownArgs> = {
  command: 'down',
  describe: 'Stop the dev cluster (no postgres process left); --purge also deletes its data and the config it wrote',
  builder: (y) => y.option('purge', { type: 'boolean', default: false, describe: 'Also delete the data and pgcluster.config.json' }),
  handler: async (argv) => {
    process.exitCode = await devDown({ cwd: process.cwd(), purge: argv.purge }, stdio);
  },
};

/**
 * `pgcluster dev up|status|down`: a local development cluster in the current directory.
 * Each handler resolves after setting `process.exitCode` (0 ok, 1 degraded, 2 error, 3 refused).
 *
 * @example
 * ```ts
 * await yargs(argv).command(devCommand).strict().parseAsync()
 * ```
 */
export const devCommand: CommandModule = {
  command: 'dev',
  describe: 'Run a local development cluster (PostgreSQL 15 + pgvector, a primary and streaming replicas)',
  builder: (y) =>
    y
      .command(upCommand)
      .command(statusCommand)
      .command(downCommand)
      .demandCommand(1, 'Choose one: pgcluster dev up | status | down'),
  handler: () => undefined,
};
