/**
 * What a CLI run talks to instead of the process: output streams, environment, standard input
 * and a stop signal. The process entry point passes the real ones; tests pass captured ones.
 */

/** Where a command writes text: `process.stdout`, or a capture in tests. */
export type CliOutput = {
  write(chunk: string): boolean;
  /** Present on real streams: lets a long export wait for the pipe to drain. */
  once?(event: 'drain', listener: () => void): unknown;
  /** True when the output is a terminal (progress bars are drawn only then). */
  isTTY?: boolean;
};

/** Everything a CLI run reads from or writes to; the exit code is the return value of `run`. */
export type CliIo = {
  stdout: CliOutput;
  stderr: CliOutput;
  /** The environment settings are read from (`process.env` for the real command). */
  env: Readonly<Record<string, string | undefined>>;
  stdin: AsyncIterable<Buffer | string>;
  /**
   * Resolves, with the signal's name, when a long-running command (worker, sandbox, api) should
   * shut down. The process entry listens for SIGTERM/SIGINT only from the first call, so short
   * commands keep the default Ctrl-C behaviour.
   */
  waitForStop(): Promise<string>;
  /**
   * Called when a long-running command starts shutting down, with how long its shutdown may take;
   * the process entry arms a timer that ends the process if it takes longer. Tests leave it out.
   */
  armForceExit?(afterMs: number): void;
};
