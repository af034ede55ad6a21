/**
 * `tracehound train` and `tracehound score` as a user runs them (the built CLI, each in a process of its own)
 * on the largest labeled data set at hand, Nezha Online Boutique (span tables of 935,108 and 1,248,431
 * spans, one file per day): peak RSS and CPU seconds of each. The aim is under 1 GB of RSS each. Skipped,
 * with a message, when the data sets are not on this machine (../shared/datasets beside the checkout,
 * /work/shared/datasets, or TRACEHOUND_DATASETS).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from '../src/detectors/median.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/cli/main.js');
const DAYS = ['2022-08-22', '2022-08-23'];

/** Prints the process's CPU seconds (every thread) and peak RSS on exit, whatever the command does. */
const USAGE_HOOK =
  'data:text/javascript,process.on("exit",()=>{const c=process.cpuUsage();' +
  'process.stderr.write("\\nUSAGE "+JSON.stringify({cpu:(c.user+c.system)/1e6,rss:process.resourceUsage().maxRSS*1024})+"\\n")})';

interface Usage {
  cpu: number;
  rss: number;
}

function cli(args: string[]): Promise<Usage> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ['--import', USAGE_HOOK, CLI, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', rej);
    child.on('close', (code) => {
      const m = /USAGE (\{.*\})/.exec(err);
      if (code !== 0 || !m)
        return rej(new Error(`tracehound ${args.join(' ')} failed (${code}): ${err.slice(-500)}`));
      res(JSON.parse(m[1]) as Usage);
    });
  });
}

function datasetDir(): string | undefined {
  const candidates = [
    process.env.TRACEHOUND_DATASETS,
    resolve(ROOT, '../shared/datasets'),
    '/work/shared/datasets',
  ].filter((d): d is string => d !== undefined);
  return candidates
    .map((d) => join(d, 'nezha-onlineboutique'))
    .find((d) => DAYS.every((day) => existsSync(join(d, `traces_${day}.csv.gz`))));
}

export async function runMemoryBench(
  opts: { runs?: number; log?: (line: string) => void } = {},
): Promise<Record<string, string | number>> {
  const runs = opts.runs ?? 1;
  const log = opts.log ?? (() => {});
  const dir = datasetDir();
  if (!dir) {
    const msg =
      'skipped: nezha-onlineboutique not found (../shared/datasets, /work/shared/datasets or TRACEHOUND_DATASETS)';
    log(`memory: ${msg}`);
    return { memory: msg };
  }
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const work = mkdtempSync(join(tmpdir(), 'tracehound-bench-memory-'));
  const out: Record<string, string | number> = {};
  try {
    for (const day of DAYS) {
      const file = join(dir, `traces_${day}.csv.gz`);
      const model = join(work, `model-${day}`);
      const train: Usage[] = [];
      const score: Usage[] = [];
      for (let r = 0; r < runs; r++) {
        rmSync(model, { recursive: true, force: true });
        train.push(await cli(['train', file, '--model', model, '-q']));
        log(`memory: train ${day}: ${JSON.stringify(train[r])}`);
        score.push(await cli(['score', file, '--model', model, '-q', '--output', '/dev/null']));
        log(`memory: score ${day}: ${JSON.stringify(score[r])}`);
      }
      const mb = (xs: Usage[]) => Math.round(Math.max(...xs.map((x) => x.rss)) / 1048576);
      const cpu = (xs: Usage[]) => median(xs.map((x) => x.cpu));
      out[`train ${day} peak RSS MB`] = mb(train);
      out[`train ${day} CPU s`] = cpu(train);
      out[`score ${day} peak RSS MB`] = mb(score);
      out[`score ${day} CPU s`] = cpu(score);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}
