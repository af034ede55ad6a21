/** The testbed's child processes: started with their output in a log file, waited for, stopped by pid. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Child {
  name: string;
  proc: ChildProcess;
  /** stdout and stderr, interleaved. */
  logFile: string;
  stop(): Promise<void>;
}

/** The last lines of a log, for an error message. */
export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts `node ARGS` with its output in `logDir/NAME.log`; with `ready`, resolves once a stdout line
 * matches it (and fails, with the log's tail, when the process exits first or five minutes pass).
 */
export function spawnNode(
  name: string,
  args: string[],
  o: { env: NodeJS.ProcessEnv; cwd: string; logDir: string; ready?: RegExp; nice?: number },
): Promise<Child> {
  const logFile = join(o.logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  // Through nice(1), so that every thread the process starts later (training, libuv) inherits the priority.
  const [cmd, argv] =
    o.nice === undefined
      ? [process.execPath, args]
      : ['nice', ['-n', String(o.nice), process.execPath, ...args]];
  const proc = spawn(cmd, argv, { env: o.env, cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stderr!.pipe(log, { end: false });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    log.end();
  };
  const child: Child = { name, proc, logFile, stop };
  // Starting tsx and the OpenTelemetry packages took three minutes on a 2-core machine at load 30.
  const timeoutMs = 300_000;
  return new Promise<Child>((resolve, reject) => {
    let buffered = '';
    let done = !o.ready;
    const fail = (why: string) => {
      if (done) return;
      done = true;
      reject(new Error(`${name} ${why}; its log ends:\n${tail(logFile)}`));
    };
    const timer = setTimeout(() => fail(`was not ready within ${timeoutMs} ms`), timeoutMs);
    proc.stdout!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (done) return;
      buffered += chunk.toString('utf8');
      if (o.ready!.test(buffered)) {
        done = true;
        clearTimeout(timer);
        resolve(child);
      }
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(`exited (${signal ?? code}) before it was ready`);
    });
    proc.once('error', (err) => fail(`could not start: ${err.message}`));
    if (!o.ready) {
      clearTimeout(timer);
      resolve(child);
    }
  });
}
