import { InputError, loadConfig } from '@pgcluster/core';
import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../cli/global-options';
import type { CommandContext } from '../skill-command/skill-command';

interface DashboardArgs extends GlobalArgs {
  port?: unknown;
  host?: unknown;
  refresh?: unknown;
}

/**
 * `pgcluster dashboard [--port N] [--host H] [--refresh S]`: serves the operations dashboard (cluster
 * now, skill analytics, agent, vector collections) until SIGINT/SIGTERM. Loopback by default;
 * with another `--host`, it prints a token once and every request must carry it.
 *
 * @example
 * ```ts
 * yargs(argv).command(dashboardCommand(context)) // then: pgcluster dashboard --port 7070
 * ```
 */
export function dashboardCommand(context: CommandContext): CommandModule<object, DashboardArgs> {
  return {
    command: 'dashboard',
    describe: 'Serve the operations dashboard: cluster, skill analytics, agent and vector collections on one local web page',
    builder: (y) =>
      y
        .usage('$0 dashboard [--port N] [--host H] [--refresh S]\n\nServes one page on http://127.0.0.1:7070/ until Ctrl-C. Binding beyond loopback (--host 0.0.0.0)\nprints a token once: open the printed address, every request then carries it.')
        .option('port', { type: 'string', default: '7070', describe: 'TCP port (0: any free port)' })
        .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on; anything but loopback requires the printed token' })
        .option('refresh', { type: 'string', default: '5', describe: 'Seconds between live refreshes of the page (1–300)' }) as unknown as Argv<DashboardArgs>,
    handler: async (argv) => {
      context.state.code = await serveDashboard(argv, context);
    },
  };
}

async function serveDashboard(argv: DashboardArgs, context: CommandContext): Promise<number> {
  const { io } = context;
  const port = integerFlag('--port', argv.port, 0, 65_535, 'an integer from 0 to 65535');
  const refresh = integerFlag('--refresh', argv.refresh, 1, 300, 'a whole number of seconds from 1 to 300');
  const host = typeof argv.host === 'string' ? argv.host.trim() : '';
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(host)) throw new InputError('--host', 'must be an IP address or a host name such as 127.0.0.1, ::1 or 0.0.0.0');
  const loaded = loadConfig({ ...(argv.config !== undefined ? { path: argv.config } : {}), cwd: io.cwd, env: io.env });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startDashboard } = require('@pgcluster/dashboard') as typeof import('@pgcluster/dashboard');
  const server = await startDashboard({ loaded, host, port, refreshMs: refresh * 1000, log: (line) => io.stderr(`${line}\n`) }).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new InputError('--port', `${port} is in use on ${host}; choose another port (0 picks a free one)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new InputError('--host', `${host} is not an address of this machine`);
    throw error;
  });
  io.stdout(`pgcluster dashboard: ${server.url}\n`);
  // Security: the token is shown once, here, to whoever started the server; never logged again.
  if (server.token) io.stdout(`open ${server.url}?token=${server.token}\n(bound beyond loopback: every request needs this token)\n`);
  io.stderr(`serving cluster ${loaded.config.name}; refresh every ${refresh} s; Ctrl-C stops\n`);
  await new Promise<void>((resolve) => {
    const stop = io.onInterrupt?.(() => resolve());
    if (!stop) process.once('SIGINT', () => resolve());
  });
  await server.close();
  io.stderr('pgcluster dashboard: stopped\n');
  return 0;
}

function integerFlag(flag: string, value: unknown, min: number, max: number, allowed: string): number {
  const text = String(Array.isArray(value) ? value[value.length - 1] : value).trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new InputError(flag, `must be ${allowed} (got ${JSON.stringify(text.slice(0, 20))})`);
  return n;
}
