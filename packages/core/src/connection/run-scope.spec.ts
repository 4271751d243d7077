import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { withClient } from './connect';
import { currentRunScope, RunScope, runInScope } from './run-scope';

describe('RunScope', () => {
  it('is the current scope all along the async flow of the run, and nowhere else', async () => {
    const scope = new RunScope();
    const seen = await runInScope(scope, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentRunScope();
    });
    expect(seen).toBe(scope);
    expect(currentRunScope()).toBeUndefined();
  });

  it('sends SIGTERM to the programs of the run on cancel, and forgets them once they exit', async () => {
    const scope = new RunScope();
    const child = spawn('sleep', ['30']);
    const exited = once(child, 'exit');
    scope.trackProcess(child);
    expect(scope.processes).toBe(1);
    expect(await scope.cancel()).toEqual({ backends: 0, processes: 1, unreachable: [] });
    expect(await exited).toEqual([null, 'SIGTERM']);
    expect(scope.processes).toBe(0);
  });

  it('refuses new connections once stopped, without connecting; backends opened after the abort are clean-up', async () => {
    const scope = new RunScope();
    const before = scope.trackBackend('postgresql://u@127.0.0.1:1/db', 101);
    await scope.cancel();
    scope.trackBackend('postgresql://u@127.0.0.1:1/db', 102);
    expect(scope.backends.map((b) => [b.pid, b.cleanup])).toEqual([
      [101, false],
      [102, true],
    ]);
    before();
    expect(scope.backends.map((b) => b.pid)).toEqual([102]);
    const stopped = await scope.stop();
    expect(stopped).toEqual({ backends: 0, processes: 0, unreachable: ['127.0.0.1:1'] });
    await expect(runInScope(scope, () => withClient({ url: 'postgresql://u@127.0.0.1:1/db' }, 'reading t', async () => 1))).rejects.toMatchObject({
      code: 'ABORTED',
      message: 'reading t: the run was stopped, so no new connection is opened',
    });
  });
});
