/**
 * Where the CLI reads and writes: results go to `stdout`, logs and human errors to `stderr`.
 * Injected so tests can run `main` in-process.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of standard input (for `--input -`). */
  readStdin(): Promise<string>;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Standard output is a terminal (colour in human output, unless `NO_COLOR`). */
  stdoutIsTTY?: boolean;
  /** Standard error is a terminal (a live progress bar instead of progress lines). */
  stderrIsTTY?: boolean;
  /** The terminal's width, when standard output is one (wide tables become blocks). */
  columns?: number;
  /**
   * Calls `handler` on SIGINT or SIGTERM while a skill runs (so the run is stopped, not
   * orphaned); returns the function that stops listening. Absent: signals are not handled.
   */
  onInterrupt?(handler: (signal: NodeJS.Signals) => void): () => void;
}

/**
 * The process's own streams, working directory and environment.
 *
 * @example
 * ```ts
 * process.exitCode = await main(process.argv.slice(2), processIo())
 * ```
 */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: () => readStream(process.stdin),
    cwd: process.cwd(),
    env: process.env,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    ...(process.stdout.columns ? { columns: process.stdout.columns } : {}),
    onInterrupt: (handler) => {
      let received = 0;
      const on = (signal: NodeJS.Signals) => {
        // A second signal means "now": the run is already being stopped, the user will not wait for it.
        if (received++) process.exit(signal === 'SIGINT' ? 130 : 143);
        handler(signal);
      };
      process.on('SIGINT', on).on('SIGTERM', on);
      return () => void process.off('SIGINT', on).off('SIGTERM', on);
    },
  };
}

/** Reads a stream to its end as UTF-8 text. */
export async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
