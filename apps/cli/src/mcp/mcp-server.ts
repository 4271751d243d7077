import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Envelope } from '@pgcluster/skill-kit';
import { invalidEnvelope, splitArguments, toolOf, toolResult, type Manifest, type ToolArguments } from './mcp-tools';

/** How {@link createMcpServer} serves the skills. */
export interface McpServerOptions {
  /** The skills manifest; every skill becomes a tool (with `readOnly`, only the read ones). */
  manifest: Manifest;
  /** Register only the skills of risk `read`. */
  readOnly: boolean;
  /** The server's version (the CLI's). */
  version: string;
  /** Runs one skill through the executor; `signal` is the request's (aborted by a cancel or a closed connection). */
  execute(skill: string, args: ToolArguments, signal: AbortSignal): Promise<Envelope>;
  /** Renders an envelope as the JSON text the CLI prints. */
  renderJson(envelope: Envelope): string;
}

/** An MCP server and a way to wait for the tool calls it is running. */
export interface McpServerHandle {
  server: Server;
  /** Resolves once every tool call started so far has finished (after a close, they are being stopped). */
  settled(): Promise<void>;
}

/**
 * The pgcluster MCP server (not yet connected): one tool per skill, each call run through the
 * executor with the request's cancellation signal. Unknown tools (and, read-only, the write
 * ones) are a protocol error; a skill that fails or refuses is a tool result with `isError`.
 *
 * @example
 * ```ts
 * const { server } = createMcpServer({ manifest, readOnly: true, version, execute, renderJson })
 * await server.connect(new StdioServerTransport())
 * ```
 */
export function createMcpServer(options: McpServerOptions): McpServerHandle {
  const { skills, envelope } = options.manifest;
  const served = skills.filter((s) => !options.readOnly || s.risk === 'read');
  const tools = served.map((s) => toolOf(s, envelope.properties.plan));
  const byName = new Map(served.map((s) => [s.name, s]));
  const running = new Set<Promise<unknown>>();
  const server = new Server({ name: 'pgcluster', version: options.version }, { capabilities: { tools: {} }, instructions: instructionsOf(options.readOnly, tools.length) });

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name;
    if (!byName.has(name)) {
      const why = options.readOnly && skills.some((s) => s.name === name) ? ' (this server is read-only: it serves only read skills)' : '';
      throw new McpError(ErrorCode.InvalidParams, `unknown tool "${name}"${why}; tools/list names the tools`);
    }
    const args = splitArguments(request.params.arguments);
    if (typeof args === 'string') return toolResult(invalidEnvelope(name, args), options.renderJson);
    const run = options.execute(name, args, extra.signal);
    running.add(run);
    try {
      return toolResult(await run, options.renderJson);
    } finally {
      running.delete(run);
    }
  });
  return { server, settled: async () => void (await Promise.allSettled([...running])) };
}

function instructionsOf(readOnly: boolean, count: number): string {
  const lines = [
    'pgcluster operates a PostgreSQL 15 + pgvector cluster. Every tool is a pgcluster skill, run through its executor: input validation, plan, confirmation gate, audit log.',
    'Start with read tools (cluster-status, monitoring-health). structuredContent is the skill data; the text is the JSON envelope with status, alerts, recommendations and the audit id.',
  ];
  if (readOnly) {
    lines.push(`This server is READ-ONLY: it serves only the ${count} read skills, none of which changes the cluster.`);
  } else {
    lines.push(
      'Before a write, call the tool with dryRun: true and show the plan. Destructive tools (destructiveHint) refuse without confirm: true: confirm only after the user agreed to that plan.',
    );
  }
  return lines.join('\n');
}
