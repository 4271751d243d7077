import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@pgcluster/core';
import { WORKFLOWS } from '@pgcluster/workflows';
import type { Argv, CommandModule } from 'yargs';
import { cliPackage } from '../cli/cli-package';
import type { GlobalArgs } from '../cli/global-options';
import { skillKit } from '../cli/skill-kit';
import { serveMcpHttp, type McpHttpOptions } from '../mcp/mcp-http';
import { createMcpServer } from '../mcp/mcp-server';
import type { Manifest } from '../mcp/mcp-tools';
import { executeOptions, type CommandContext } from '../skill-command/skill-command';
import { findSkillsDir } from './skills';

interface McpArgs extends GlobalArgs {
  readOnly: boolean;
  http: boolean;
  port: number;
  host: string;
}

/** The variable holding the bearer token of `--http` (never a flag: argv is visible to every user). */
export const MCP_TOKEN_VARIABLE = 'PGCLUSTER_MCP_TOKEN';

/**
 * `pgcluster mcp [--read-only] [--http [--port N] [--host H]]`: serves every skill and workflow (`workflow-<name>`) as an MCP tool over stdio (or Streamable HTTP) (stdout carries
 * only the protocol; logs go to stderr) until the client closes stdin or a signal arrives.
 * Each call runs through the executor as actor `mcp`, loading only the skill called.
 *
 * @example
 * ```ts
 * yargs(argv).command(mcpCommand(context)) // then: claude mcp add pgcluster -- pgcluster mcp
 * ```
 */
export function mcpCommand(context: CommandContext): CommandModule<object, McpArgs> {
  return {
    command: 'mcp',
    describe: 'Serve every skill and workflow as a tool to MCP clients (Model Context Protocol over stdio)',
    builder: (y) =>
      y
        .usage(
          '$0 mcp [--read-only] [--http [--port N] [--host H]]\n\nAn MCP server over stdio (or Streamable HTTP on loopback) with one tool per skill; add it to Claude Code with\n' +
            '`claude mcp add pgcluster -- pgcluster mcp`. Confirmation is per call (confirm: true), as is dryRun.',
        )
        .option('read-only', { type: 'boolean', default: false, describe: 'Serve only the read skills, connected as the least-privilege reader (security-reader) in read-only transactions' })
        .option('http', { type: 'boolean', default: false, describe: 'Serve Streamable HTTP at http://<host>:<port>/mcp instead of stdio' })
        .option('port', { type: 'number', default: 0, describe: 'With --http: the port (0 picks a free one, printed on stderr)' })
        .option('host', {
          type: 'string',
          default: '127.0.0.1',
          describe: `With --http: the address to bind; a non-loopback one needs a bearer token in ${MCP_TOKEN_VARIABLE}`,
        }) as unknown as Argv<McpArgs>,
    handler: async (argv) => {
      context.state.code = await serveMcp(argv, context);
    },
  };
}

/** Serves over this process's stdin/stdout until the client goes; returns the exit code. */
async function serveMcp(argv: McpArgs, context: CommandContext): Promise<number> {
  const { io, commands } = context;
  for (const [flag, set] of [['--yes', argv.yes], ['--dry-run', argv.dryRun]] as const) {
    if (set) throw new InputError(flag, 'is not a server option: each tool call passes confirm: true or dryRun: true itself');
  }
  if (!Number.isInteger(argv.port) || argv.port < 0 || argv.port > 65_535) throw new InputError('--port', 'must be an integer from 0 to 65535');
  const kit = skillKit();
  const manifest = JSON.parse(readFileSync(join(findSkillsDir(), 'manifest.json'), 'utf8')) as Manifest;
  const newServer = () => createMcpServer({
    // The manifest and the generated commands come from the same skillgen run; serve what both know.
    manifest: {
      ...manifest,
      skills: manifest.skills.filter((s) => commands.summaries.some((c) => c.name === s.name)),
      workflows: (manifest.workflows ?? []).filter((w) => Object.hasOwn(WORKFLOWS, w.name)),
    },
    readOnly: argv.readOnly,
    version: cliPackage().version,
    renderJson: kit.renderJson,
    runWorkflow: (name, { input, confirm, dryRun }, signal) => {
      const { resolveSkill, ...execute } = executeOptions({ ...argv, dryRun, yes: confirm }, context, signal);
      return kit.runWorkflow(WORKFLOWS[name]!, {
        ...execute,
        actor: 'mcp',
        params: input,
        resolveSkill: (skill) => resolveSkill(skill),
        ...(argv.readOnly ? { reader: 'require' as const } : {}),
      });
    },
    execute: (name, { input, confirm, dryRun }, signal) =>
      kit.executeSkill(commands.load(name)!.load(), input, {
        ...executeOptions({ ...argv, dryRun, yes: confirm }, context, signal),
        actor: 'mcp',
        // Security: read-only means the database refuses writes too: every tool connects as the least-privilege reader.
        ...(argv.readOnly ? { reader: 'require' as const } : {}),
      }),
  });
  if (argv.http) return serveHttp(argv, context, newServer);
  const { server, settled } = newServer();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js') as typeof import('@modelcontextprotocol/sdk/server/stdio.js');
  const closed = new Promise<void>((resolve) => (server.onclose = resolve));
  // Closing aborts every running call's signal: the executor stops its queries and programs.
  const close = () => void server.close();
  process.stdin.once('end', close);
  const stopListening = io.onInterrupt?.(close);
  await server.connect(new StdioServerTransport(process.stdin, process.stdout));
  io.stderr(`pgcluster mcp: serving ${argv.readOnly ? 'the read skills (read-only)' : 'every skill and workflow'} over stdio\n`);
  await closed;
  stopListening?.();
  process.stdin.off('end', close);
  await settled();
  return 0;
}

/** Serves Streamable HTTP until SIGINT/SIGTERM; returns the exit code. */
async function serveHttp(argv: McpArgs, context: CommandContext, newServer: McpHttpOptions['newServer']): Promise<number> {
  const token = process.env[MCP_TOKEN_VARIABLE] || undefined;
  const handle = await serveMcpHttp({ host: argv.host, port: argv.port, ...(token ? { token } : {}), tokenSource: MCP_TOKEN_VARIABLE, newServer });
  context.io.stderr(`pgcluster mcp: serving ${argv.readOnly ? 'the read skills (read-only)' : 'every skill and workflow'} at ${handle.url}${token ? ' (bearer token required)' : ''}\n`);
  await new Promise<void>((resolve) => {
    const stop = context.io.onInterrupt?.(() => {
      stop?.();
      resolve();
    });
    if (!stop) process.once('SIGTERM', () => resolve());
  });
  await handle.close();
  return 0;
}
