import { auditCommand } from './commands/audit';
import { devCommand } from './commands/dev';
import { skillsCommand } from './commands/skills';
import { GENERATED_COMMANDS } from './generated';
import { main } from './main';
import type { CommandContext } from './skill-command/skill-command';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { io: { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), readStdin: async () => '', cwd: process.cwd(), env: {} } });
  return { code, stdout, stderr };
}

describe('main: command lists without loading the commands', () => {
  it('--help lists every built-in command with the help its own module gives, and every skill', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    const help = stdout.replace(/\s+/g, ' ');
    const context: CommandContext = { io: { stdout() {}, stderr() {}, readStdin: async () => '', cwd: '.', env: {} }, state: {}, commands: GENERATED_COMMANDS };
    for (const command of [skillsCommand(context), auditCommand(context), devCommand(context)]) expect(help).toContain(`pgcluster ${String(command.command)} ${String(command.describe)}`);
    for (const skill of GENERATED_COMMANDS.summaries) expect(help).toContain(`pgcluster ${skill.name}`);
  });

  it('--version prints the package version alone', async () => {
    expect(await run(['--version'])).toEqual({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/), stderr: '' });
  });

  it('a word that is an Object property is no command', async () => {
    const { code, stderr } = await run(['toString']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown command toString');
  });
});
