import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Envelope, WorkflowRunResult } from '@pgcluster/skill-kit';
import { invalidEnvelope, splitArguments, toolOf, toolResult, WORKFLOW_TOOL_PREFIX, workflowToolOf, workflowToolResult, type Manifest, type McpToolResult, type ToolArguments } from './mcp-tools';

/** How {@link createMcpServer} serves the skills. */
export interface McpServerOptions {
  /** The skills manifest; every skill and workflow becomes a tool (with `readOnly`, only the read ones). */
  manifest: Manifest;
  /** Register only the skills of risk `read` (and the workflows whose every step only reads). */
  readOnly: boolean;
  /** The server's version (the CLI's). */
  version: string;
  /** Runs one skill through the executor; `signal` is the request's (aborted by a cancel or a closed connection). */
  execute(skill: string, args: ToolArguments, signal: AbortSignal): Promise<Envelope>;
  /** Runs one workflow through the workflow runner (every step through the executor); `args.input` holds its params as strings. */
  runWorkflow(workflow: string, args: ToolArguments & { input: Record<string, string> }, signal: AbortSignal): Promise<WorkflowRunResult>;
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
 * The pgcluster MCP server (not yet connected): one tool per skill and one per workflow
 * (`workflow-<name>`), each call run through the executor (a workflow's through its runner) with
 * the request's cancellation signal. Unknown tools (and, read-only, the write
 * ones) are a protocol error; a skill that fails or refuses is a tool result with `isError`.
 *
 * @example
 * ```ts
 * const { server } = createMcpServer({ manifest, readOnly: true, version, execute, renderJson })
 * await server.connect(new StdioServerTransport())
 * ```
 */
export function createMcpServer(options: McpServerOptions): McpServerHandle {
  const { skills, envelope, workflows = [] } = options.manifest;
  const served = skills.filter((s) => !options.readOnly || s.risk === 'read');
  const servedWorkflows = workflows.filter((w) => !options.readOnly || w.risk === 'read');
  const tools = [...served.map((s) => toolOf(s, envelope.properties.plan)), ...servedWorkflows.map((w) => workflowToolOf(w, envelope.properties.plan))];
  const byName = new Map<string, string | undefined>([...served.map((s) => [s.name, undefined] as const), ...servedWorkflows.map((w) => [`${WORKFLOW_TOOL_PREFIX}${w.name}`, w.name] as const)]);
  const known = new Set([...skills.map((s) => s.name), ...workflows.map((w) => `${WORKFLOW_TOOL_PREFIX}${w.name}`)]);
  const running = new Set<Promise<unknown>>();
  const server = new Server({ name: 'pgcluster', version: options.version }, { capabilities: { tools: {} }, instructions: instructionsOf(options.readOnly, tools.length) });

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const name = request.params.name;
    if (!byName.has(name)) {
      const why = options.readOnly && known.has(name) ? ' (this server is read-only: it serves only read skills and workflows)' : '';
      throw new McpError(ErrorCode.InvalidParams, `unknown tool "${name}"${why}; tools/list names the tools`);
    }
    const args = splitArguments(request.params.arguments);
    if (typeof args === 'string') return toolResult(invalidEnvelope(name, args), options.renderJson);
    const workflow = byName.get(name);
    const run: Promise<McpToolResult> =
      workflow === undefined ? options.execute(name, args, extra.signal).then((e) => toolResult(e, options.renderJson)) : callWorkflow(workflow, args, extra.signal);
    running.add(run);
    try {
      return await run;
    } finally {
      running.delete(run);
    }
  });
  async function callWorkflow(workflow: string, args: ToolArguments, signal: AbortSignal): Promise<McpToolResult> {
    const wrong = Object.entries(args.input).find(([, v]) => typeof v !== 'string');
    if (wrong) return toolResult(invalidEnvelope(`${WORKFLOW_TOOL_PREFIX}${workflow}`, `${wrong[0]}: expected a string, got ${JSON.stringify(wrong[1])}`), options.renderJson);
    return workflowToolResult(await options.runWorkflow(workflow, args as ToolArguments & { input: Record<string, string> }, signal));
  }
  return { server, settled: async () => void (await Promise.allSettled([...running])) };
}

function instructionsOf(readOnly: boolean, count: number): string {
  const lines = [
    'pgcluster operates a PostgreSQL 15 + pgvector cluster. Every tool is a pgcluster skill, run through its executor: input validation, plan, confirmation gate, audit log; a workflow-<name> tool runs a chain of them (a dry run plans every step).',
    'Start with read tools (cluster-status, monitoring-health). structuredContent is the skill data; the text is the JSON envelope with status, alerts, recommendations and the audit id.',
  ];
  if (readOnly) {
    lines.push(`This server is READ-ONLY: it serves only the ${count} read skills and workflows, none of which changes the cluster.`);
  } else {
    lines.push(
      'Before a write, call the tool with dryRun: true and show the plan. Destructive tools (destructiveHint) refuse without confirm: true: confirm only after the user agreed to that plan.',
    );
  }
  return lines.join('\n');
}
