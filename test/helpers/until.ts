export interface UntilOptions {
  /** Time between tries (default 25 ms); a try that asks a running service something can ask less often. */
  everyMs?: number;
  /** What the process under test logged: its last lines go into the timeout's message. */
  log?: readonly string[];
}

/**
 * Tries `fn` until it gives a value other than undefined or false and returns that value; after `timeoutMs`
 * it fails naming `what` it waited for.
 */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 8000,
  { everyMs = 25, log }: UntilOptions = {},
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) {
      const said = log ? `; the service said:\n${log.slice(-30).join('\n')}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${said}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
