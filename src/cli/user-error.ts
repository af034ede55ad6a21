import { CommanderError } from 'commander';
import { ConfigError } from '../config-error.js';
import { InputError } from '../formats/types.js';
import { RedisUnreachableError } from '../app/wait-for-redis.js';

/** A mistake in how the command was called (a missing or contradictory option, an unknown name). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** File-system errors that say the user named the wrong path, not that the program is broken. */
const PATH_CODES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

/**
 * The one line to print for an error the user can fix, and the exit code (2 for how the command was called,
 * 1 for a service that cannot start); undefined for a bug, which keeps its stack trace.
 */
export function userError(err: unknown): { line: string; code: number } | undefined {
  if (err instanceof CommanderError) return { line: '', code: err.exitCode === 0 ? 0 : 2 };
  if (err instanceof UsageError || err instanceof InputError) return { line: err.message, code: 2 };
  if (err instanceof ConfigError || err instanceof RedisUnreachableError)
    return { line: err.message, code: 1 };
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && PATH_CODES[e.code] && typeof e.path === 'string')
    return { line: `${e.path}: ${PATH_CODES[e.code]}`, code: 2 };
  return undefined;
}
