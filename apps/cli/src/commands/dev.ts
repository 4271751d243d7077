import type { CommandModule } from 'yargs';
import type { DevIo } from '../dev/dev-context';
import type { DevStatusFormat } from '../dev/dev-status';
import { runSkill, type CommandContext } from '../skill-command/skill-command';

/** The dev commands' implementation, loaded only when a `dev` subcommand runs (keeps `--help` fast). */
function devKit(): typeof import('../dev/dev-kit') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../dev/dev-kit') as typeof import('../dev/dev-kit');
}

const stdio: DevIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

interface UpArgs {
  ha?: boolean;
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

const upCommand = (context: CommandContext): CommandModule<object, UpArgs> => ({
  command: 'up',
  describe: 'Start a local cluster (a primary and streaming replicas with pgvector) under ./.pgcluster/dev and write ./pgcluster.config.json',
  builder: (y) =>
    y
      .option('replicas', { type: 'string', describe: `Streaming replicas, an integer from 0 to ${devKit().MAX_REPLICAS} (default 2)` })
      .option('synchronous', { type: 'boolean', default: false, describe: "Synchronous replication: the primary waits for ANY 1 replica" })
      .option('fast', { type: 'boolean', default: false, hidden: true, describe: 'fsync off: for throwaway clusters (CI) only' })
      .option('ha', { type: 'boolean', describe: 'High availability: etcd, one Patroni per node and PgBouncer (transaction pooling) in front of the leader' }),
  handler: async (argv) => {
    const up = await devKit().devUp({ cwd: process.cwd(), replicas: argv.replicas, synchronous: argv.synchronous, fast: argv.fast, ha: argv.ha }, stdio);
    // The main job: with the cluster up, show its status (exit 0 healthy, 1 degraded).
    const status = context.commands.load('cluster-status');
    process.exitCode = up !== 0 || !status ? up : await runSkill(status, { format: 'human', dryRun: false, yes: false }, context);
  },
});

const statusCommand: CommandModule<object, StatusArgs> = {
  command: 'status',
  describe: "Show each dev node's role, port, state and replication lag (exit 0 all up, 1 something down, 2 no dev cluster)",
  builder: (y) => y.option('format', { choices: devKit().DEV_STATUS_FORMATS, default: 'human' as DevStatusFormat, describe: 'Output format' }),
  handler: async (argv) => {
    process.exitCode = await devKit().devStatus({ cwd: process.cwd(), format: argv.format }, stdio);
  },
};

const downCommand: CommandModule<object, DownArgs> = {
  command: 'down',
  describe: 'Stop the dev cluster (no postgres process left); --purge also deletes its data and the config it wrote',
  builder: (y) => y.option('purge', { type: 'boolean', default: false, describe: 'Also delete the data and pgcluster.config.json' }),
  handler: async (argv) => {
    process.exitCode = await devKit().devDown({ cwd: process.cwd(), purge: argv.purge }, stdio);
  },
};

/**
 * `pgcluster dev up|status|down`: a local development cluster in the current directory.
 * Each handler resolves after setting `process.exitCode` (0 ok, 1 degraded, 2 error, 3 refused);
 * `dev up` ends by running `cluster-status` against the cluster it started.
 *
 * @example
 * ```ts
 * await yargs(argv).command(devCommand(context)).strict().parseAsync()
 * ```
 */
export const devCommand = (context: CommandContext): CommandModule => ({
  command: 'dev',
  describe: 'Run a local development cluster (PostgreSQL 15 + pgvector, a primary and streaming replicas)',
  builder: (y) =>
    y
      .command(upCommand(context))
      .command(statusCommand)
      .command(downCommand)
      .demandCommand(1, 'Choose one: pgcluster dev up | status | down'),
  handler: () => undefined,
});
