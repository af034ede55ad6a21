import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { UsageError, userError } from '../../src/cli/user-error.js';
import { readTraceFiles } from '../../src/formats/read.js';
import { loadModelSet } from '../../src/registry/model-dir.js';

/**
 * What a user sees after a typo: one line naming the file or option and what was expected, no stack
 * trace, exit code 2 (1 for a service that cannot start); every case runs the real CLI in its own process.
 */

interface Outcome {
  code: number | null;
  stderr: string;
  ms: number;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { env: { ...process.env, ...env }, timeout: 120_000 },
      (err, _stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr, ms: Date.now() - t0 }),
    );
  });
}

// Spawning the CLI costs seconds on a busy machine: a few cases run end to end, the rest in-process below.
const CASES: Array<[string, string[], Record<string, string>, number, RegExp]> = [
  ['sim without arguments', ['sim'], {}, 2, /^tracehound: sim: give --scenario NAME/],
  [
    'a URL without a scheme',
    ['serve'],
    { TRACEHOUND_JAEGER_URL: 'localhost:16686' },
    1,
    /TRACEHOUND_JAEGER_URL: expected a URL starting with http/,
  ],
  [
    'an unreachable Redis',
    ['serve'],
    { REDIS_URL: 'redis://127.0.0.1:1', TRACEHOUND_REDIS_WAIT: '1' },
    1,
    /Redis at redis:\/\/127\.0\.0\.1:1 is unreachable after 1 s/,
  ],
];

describe('user errors in-process', () => {
  const lineOf = async (fn: () => unknown) => {
    try {
      await fn();
    } catch (err) {
      return userError(err);
    }
    return undefined;
  };

  it('name the file or option, with exit code 2', async () => {
    expect(await lineOf(() => readTraceFiles(['test'], {}, () => {}))).toEqual({
      line: 'test: is a directory; give trace files',
      code: 2,
    });
    expect((await lineOf(() => loadModelSet('test')))?.line).toMatch(/test: not a model directory/);
    expect((await lineOf(() => readFile('/no/such')))?.line).toBe('/no/such: no such file or directory');
    expect(userError(new UsageError('x'))).toEqual({ line: 'x', code: 2 });
    expect(userError(new Error('a bug'))).toBeUndefined();
  });
});

describe('CLI errors', () => {
  it('are one line without a stack trace, with a non-zero exit code', async () => {
    const outcomes = await Promise.all([
      ...CASES.map(([, args, env]) => cli(args, env)),
      cli(['--debug', 'inspect', '/no/such/file.json']),
    ]);
    expect(outcomes.pop()!.stderr, '--debug keeps the stack').toMatch(/\n\s+at /);
    outcomes.forEach((o, i) => {
      const [name, , , code, pattern] = CASES[i];
      expect(o.stderr, name).toMatch(pattern);
      expect(o.stderr, name).not.toMatch(/\n\s+at /);
      expect(o.code, name).toBe(code);
    });
  }, 150_000);
});
