import { createRequire } from 'node:module';

type CliProgress = typeof import('cli-progress');

/** Loaded only when a bar is drawn: a quiet or piped run does not pay its start-up (~12 ms). */
const loadCliProgress = (): CliProgress => createRequire(import.meta.url)('cli-progress') as CliProgress;

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

/**
 * Progress on stderr (stdout carries only results): a bar on a terminal, a log line every few seconds
 * otherwise, nothing when quiet.
 */
export function progress(label: string, opts: { quiet?: boolean; unit?: 'bytes' | 'items' } = {}): Progress {
  if (opts.quiet) return { update() {}, stop() {} };
  const fmt = (n: number) => (opts.unit === 'bytes' ? `${(n / 1048576).toFixed(1)} MB` : String(n));
  if (process.stderr.isTTY) {
    const cliProgress = loadCliProgress();
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: `${label} [{bar}] {percentage}% | {shown} | eta {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) {
          bar.start(total, 0, { shown: '' });
          started = true;
        }
        bar.setTotal(total);
        bar.update(done, { shown: `${fmt(done)}/${fmt(total)}` });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let last = Date.now();
  return {
    update(done, total) {
      const now = Date.now();
      if (now - last < 5000) return;
      last = now;
      process.stderr.write(
        `${label}: ${fmt(done)}/${fmt(total)} (${Math.round((100 * done) / Math.max(1, total))}%)\n`,
      );
    },
    stop() {},
  };
}
