import { loadConfig, type ClusterConfig } from '@pgcluster/core';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { cliPackage, type CliPackage } from '../cli/cli-package';
import type { GlobalArgs } from '../cli/global-options';
import { okEnvelope } from '../cli/report-error';
import { skillKit } from '../cli/skill-kit';
import type { CommandContext } from '../skill-command/skill-command';
import { pluginIconPng } from '../plugin/plugin-icon';
import { GUARD_HOOK_FILE, GUARD_HOOK_SCRIPT, GUARDED_SKILLS_FILE, guardTable, HOOKS_JSON, type GuardManifest } from '../plugin/guard-hook';
import { findSkillsDir, skillMdFiles } from './skills';

interface PluginArgs extends GlobalArgs {
  dir?: string;
}

/**
 * `pgcluster plugin build [dir]`: writes a Claude Code plugin (default `./pgcluster-plugin`):
 * `.claude-plugin/plugin.json` (with `network.hosts`: the configured cluster's, else loopback) and `icon.png`, a `README.md`, flat `skills/<name>/SKILL.md` for every skill and workflow, `agents/dba.md`
 * (a careful DBA subagent), `.mcp.json` starting `pgcluster mcp`, and `hooks/` (a PreToolUse hook
 * on Bash refusing, without `--yes` or `--dry-run`, a skill, action or workflow that requires confirmation). Load it with
 * `claude --plugin-dir <dir>`; check it with `claude plugin validate <dir>`.
 *
 * @example
 * ```ts
 * yargs(argv).command(pluginCommand(context))
 * ```
 */
export function pluginCommand(context: CommandContext): CommandModule {
  const { io, state, commands } = context;
  const build: CommandModule<object, PluginArgs> = {
    command: 'build [dir]',
    describe: 'Write a Claude Code plugin: plugin.json, every skill, a DBA subagent and the MCP server',
    builder: (y) => y.positional('dir', { type: 'string', describe: 'Where to write it (default: ./pgcluster-plugin)' }) as unknown as Argv<PluginArgs>,
    handler: (argv) => {
      const root = resolve(io.cwd, argv.dir ?? 'pgcluster-plugin');
      const pkg = cliPackage();
      const skillMds = skillMdFiles(commands.summaries);
      const hosts = clusterHosts(() => loadConfig({ ...(argv.config !== undefined ? { path: argv.config } : {}), cwd: io.cwd, env: io.env }).config);
      const files = new Map<string, string | Buffer>([
        [join('.claude-plugin', 'plugin.json'), `${JSON.stringify(pluginJson(pkg, hosts), null, 2)}\n`],
        [join('.claude-plugin', 'icon.png'), pluginIconPng()],
        ['README.md', pluginReadme(skillMds.map((c) => c.name), hosts)],
        ['.mcp.json', `${JSON.stringify({ mcpServers: { pgcluster: { command: 'pgcluster', args: ['mcp'] } } }, null, 2)}\n`],
        [join('agents', 'dba.md'), DBA_AGENT],
        [join('hooks', 'hooks.json'), HOOKS_JSON],
        [join('hooks', GUARD_HOOK_FILE), GUARD_HOOK_SCRIPT],
        [join('hooks', GUARDED_SKILLS_FILE), `${JSON.stringify(guardTable(readManifest()), null, 2)}\n`],
        ...skillMds.map((c) => [join('skills', c.name, 'SKILL.md'), readFileSync(c.file, 'utf8')] as const),
      ]);
      for (const [path, text] of files) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text);
      }
      const data = { dir: root, files: [...files.keys()], skills: skillMds.length };
      const human = `wrote a Claude Code plugin to ${root}: ${data.skills} skills (workflows included), agents/dba.md, .mcp.json (pgcluster mcp), hooks/hooks.json (a PreToolUse guard)\nTry it: claude --plugin-dir ${root}\n`;
      io.stdout(argv.format === 'json' ? skillKit().renderJson(okEnvelope('plugin build', data, Date.now())) : human);
      state.code = 0;
    },
  };
  return {
    command: 'plugin',
    describe: 'Build a Claude Code plugin holding every skill, a DBA subagent and the MCP server',
    builder: (y) => y.command(build).demandCommand(1, 'Choose one: pgcluster plugin build [dir]'),
    handler: () => undefined,
  };
}

/**
 * The plugin's homepage when the CLI's package.json names neither `homepage` nor `repository`:
 * the package's page on the npm registry, where the CLI is published and its README shown.
 */
export const DEFAULT_HOMEPAGE = 'https://www.npmjs.com/package/@pgcluster/cli';

/**
 * The plugin's homepage: package.json's `homepage`, else its `repository` (a URL, or `{ url }` with
 * a `git+` prefix or `.git` suffix removed), else {@link DEFAULT_HOMEPAGE}.
 * @example homepageOf({ version: '0.1.0', repository: { url: 'git+https://github.com/o/pgcluster.git' } }) // 'https://github.com/o/pgcluster'
 */
export function homepageOf(pkg: CliPackage): string {
  if (pkg.homepage) return pkg.homepage;
  const repo = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  const url = repo?.replace(/^git\+/, '').replace(/\.git$/, '');
  return url && /^https?:\/\//.test(url) ? url : DEFAULT_HOMEPAGE;
}

function readManifest(): GuardManifest {
  return JSON.parse(readFileSync(join(findSkillsDir(), 'manifest.json'), 'utf8')) as GuardManifest;
}

/**
 * The hosts the plugin's parts reach (for plugin.json's `network.hosts`): those of the cluster
 * configuration `pgcluster` finds here (its nodes, Patroni's REST APIs, PgBouncer's console), else
 * loopback, where `pgcluster dev up` runs its cluster, when none is found.
 * @throws ConfigError for a configuration that is found but not valid.
 * @example clusterHosts(() => ({ nodes: [{ name: 'node1', url: 'postgresql://u@db1:5432/app' }] } as ClusterConfig)) // ['db1:5432']
 */
export function clusterHosts(config: () => ClusterConfig): string[] {
  let urls: string[];
  try {
    const c = config();
    urls = [...(c.nodes ?? []).map((n) => n.url), ...(c.patroni?.urls ?? []), ...(c.patroni?.memberUrl ? [c.patroni.memberUrl] : []), ...(c.pgbouncer ? [c.pgbouncer.adminUrl] : [])];
  } catch (error) {
    // None found: the dev cluster's. A configuration that is there but wrong is reported.
    if ((error as { code?: string }).code === 'CONFIG_NOT_FOUND') return ['127.0.0.1', 'localhost'];
    throw error;
  }
  const hostOf = (url: string) => {
    const { hostname, port } = new URL(url);
    return port ? `${hostname}:${port}` : hostname;
  };
  return [...new Set(urls.map(hostOf))].sort();
}

function pluginReadme(skills: readonly string[], hosts: readonly string[]): string {
  return `# pgcluster for Claude Code

Operate a PostgreSQL 15 + pgvector cluster safely from Claude Code. This plugin gives Claude the
pgcluster skills (${skills.length}: ${skills.join(', ')}), a careful DBA subagent (\`dba\`), the \`pgcluster mcp\` server
(one tool per skill and workflow) and a PreToolUse hook that refuses a pgcluster command needing
confirmation unless it carries \`--yes\` (or \`--dry-run\`).

## Setup

The \`pgcluster\` command must be on PATH (\`npm install -g @pgcluster/cli\`, or \`bash scripts/setup.sh\` in a
clone of the repository) and find a cluster configuration: \`pgcluster.config.json\` in the working folder
or above, \`--config\`, or \`PGCLUSTER_NODES\`. \`pgcluster dev up\` starts a local three-node cluster and writes one.

## Use

Ask Claude about the database ("is the cluster healthy?", "why is it slow?", "back it up"): it reads
first, shows the plan of any change (\`--dry-run\`), and runs what needs confirmation only after you agree.
Every run is audited (\`pgcluster audit list\`) and most can be undone (\`pgcluster audit undo <id>\`).
It reaches ${hosts.join(', ')} (the cluster configured when the plugin was built).
`;
}

function pluginJson(pkg: CliPackage, hosts: readonly string[]) {
  return {
    name: 'pgcluster',
    version: pkg.version,
    description: 'Operate a PostgreSQL 15 + pgvector cluster safely: every pgcluster skill, a careful DBA subagent and the pgcluster MCP server.',
    author: { name: 'the pgcluster authors' },
    homepage: homepageOf(pkg),
    license: pkg.license ?? 'MIT',
    keywords: ['postgresql', 'pgvector', 'dba', 'mcp'],
    icon: '.claude-plugin/icon.png',
    network: { hosts },
  };
}

/** The DBA subagent: what it may do alone, what it must plan first, and what only a person decides. */
const DBA_AGENT = `---
name: dba
description: A careful PostgreSQL + pgvector DBA for the pgcluster cluster. Use it to check the cluster's health, find and explain problems (slow statements, bloat, invalid indexes, locks, replication lag, security findings) and fix them safely through the pgcluster skills.
---

You are the database administrator of a PostgreSQL 15 + pgvector cluster operated with pgcluster.
You act only through the pgcluster skills: the \`pgcluster\` MCP server's tools, or the
\`pgcluster <skill> --format json\` commands the skills describe. Never run psql or raw SQL that
changes anything.

How you work:

1. **Look first, read-only.** Start with \`cluster-status\` and \`monitoring-health\`; go deeper with the
   read skills (\`monitoring-performance\`, \`monitoring-logs\`, \`maintenance-optimize\`,
   \`security-audit\`). Report what you found with the figures the skills returned.
2. **Plan before any write.** Run a write skill with \`dryRun: true\` (\`--dry-run\`) first, show the
   plan (the SQL and commands it would run), then run it. Take a \`cluster-backup\` before a risky change.
3. **Never destructive without the user.** A destructive skill (\`vector-drop\`, \`cluster-failover\`,
   \`cluster-restore\`) and any step that asks for confirmation runs only after the user has seen
   its plan and said yes in this conversation; only then pass \`confirm: true\` (\`--yes\`).
4. **Verify.** After a change, run the check that found the problem again and say whether it is gone.
   If it made things worse, undo it (\`pgcluster audit undo <auditId>\`) and tell the user.
5. **Escalate** what the skills cannot fix (a primary down without a configured failover, a split
   brain, hardware): say what you saw, what you tried and the audit ids.
`;
