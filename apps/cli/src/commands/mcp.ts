import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '@pgcluster/core';
import type { Argv, CommandModule } from 'yargs';
import { cliPackage } from '../cli/cli-package';
import type { GlobalArgs } from '../cli/global-options';
import { skillKit } from '../cli/skill-kit';
import { createMcpServer } from '../mcp/mcp-server';
import type { Manifest } from '../mcp/mcp-tools';
import { executeOptions, type CommandContext } from '../skill-command/skill-command';
import { findSkillsDir } from './skills';

interface McpArgs extends GlobalArgs {
  readOnly: boolean;
}

/**
 * `pgcluster mcp [--read-only]`: serves every skill as an MCP tool over stdio (stdout carries
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
    describe: 'Serve every skill as a tool to MCP clients (Model Context Protocol over stdio)',
    builder: (y) =>
      y
        .usage(
          '$0 mcp [--read-only]\n\nAn MCP server over stdio with one tool per skill; add it to Claude Code with\n' +
            '`claude mcp add pgcluster -- pgcluster mcp`. Confirmation is per call (confirm: true), as is dryRun.',
        )
        .option('read-only', { type: 'boolean', default: false, describe: 'Serve only the read skills' }) as unknown as Argv<McpArgs>,
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
  const kit = skillKit();
  const manifest = JSON.parse(readFileSync(join(findSkillsDir(), 'manifest.json'), 'utf8')) as Manifest;
  const { server, settled } = createMcpServer({
    // The manifest and the generated commands come from the same skillgen run; serve what both know.
    manifest: { ...manifest, skills: manifest.skills.filter((s) => commands.summaries.some((c) => c.name === s.name)) },
    readOnly: argv.readOnly,
    version: cliPackage().version,
    renderJson: kit.renderJson,
    execute: (name, { input, confirm, dryRun }, signal) =>
      kit.executeSkill(commands.load(name)!.load(), input, { ...executeOptions({ ...argv, dryRun, yes: confirm }, context, signal), actor: 'mcp' }),
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js') as typeof import('@modelcontextprotocol/sdk/server/stdio.js');
  const closed = new Promise<void>((resolve) => (server.onclose = resolve));
  // Closing aborts every running call's signal: the executor stops its queries and programs.
  const close = () => void server.close();
  process.stdin.once('end', close);
  const stopListening = io.onInterrupt?.(close);
  await server.connect(new StdioServerTransport(process.stdin, process.stdout));
  io.stderr(`pgcluster mcp: serving ${argv.readOnly ? 'the read skills (read-only)' : 'every skill'} over stdio\n`);
  await closed;
  stopListening?.();
  process.stdin.off('end', close);
  await settled();
  return 0;
}
