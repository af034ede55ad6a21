/**
 * `tracehound score` as a user runs it (the built CLI, a process of its own) beside a bare JSON.parse of the
 * same ~200k-span Jaeger v1 file from the simulator, run after run, so both see the same load on a shared
 * machine: read the ratio, not the seconds. CPU time counts every thread of the process (GC helpers, the
 * autoencoder's backend). Start-up is `score` on a five-trace file, beside `node -e 0`.
 *
 * The simulated files are kept in the temp directory between runs (delete it to regenerate); model sets
 * are trained afresh, so they always match the code under test.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from '../src/detectors/median.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/cli/main.js');

/** Prints the process's CPU seconds and peak RSS on exit, whatever the command does. */
const USAGE_HOOK =
  'data:text/javascript,process.on("exit",()=>{const c=process.cpuUsage();' +
  'process.stderr.write("\\nUSAGE "+JSON.stringify({cpu:(c.user+c.system)/1e6,rss:process.resourceUsage().maxRSS*1024})+"\\n")})';

/** Reads and parses the file, timing only that (node's own start-up is left out, in the parse's favour). */
const BARE_PARSE =
  'const fs=require("node:fs");const c0=process.cpuUsage();JSON.parse(fs.readFileSync(process.argv[1],"utf8"));' +
  'const c=process.cpuUsage(c0);process.stderr.write("\\nUSAGE "+JSON.stringify({cpu:(c.user+c.system)/1e6,rss:process.resourceUsage().maxRSS*1024})+"\\n")';

interface Usage {
  cpu: number;
  rss: number;
  wall: number;
}

function run(args: string[]): Promise<Usage> {
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', rej);
    child.on('close', (code) => {
      const wall = (performance.now() - t0) / 1000;
      const m = /USAGE (\{.*\})/.exec(err);
      if (code !== 0 || !m)
        return rej(new Error(`node ${args.join(' ')} failed (${code}): ${err.slice(-500)}`));
      res({ ...(JSON.parse(m[1]) as Omit<Usage, 'wall'>), wall });
    });
  });
}

const cli = (...args: string[]) => run(['--import', USAGE_HOOK, CLI, ...args]);

function sim(dir: string, scenario: string, traces: number, seed: number): string {
  const out = join(dir, `${scenario}-${traces}-${seed}.jaeger.json`);
  if (!existsSync(out))
    execFileSync(
      process.execPath,
      [CLI, 'sim', '--scenario', scenario, '--traces', `${traces}`, '--seed', `${seed}`, '--out', out],
      { stdio: 'ignore' },
    );
  return out;
}

function spansIn(file: string): number {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { data: Array<{ spans: unknown[] }> };
  return doc.data.reduce((n, t) => n + t.spans.length, 0);
}

export async function runCliScoreBench(runs = 5): Promise<Record<string, number>> {
  // The CLI as shipped: built from the sources under test.
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  const dir = join(tmpdir(), 'tracehound-bench-cli');
  mkdirSync(dir, { recursive: true });
  // ~23 spans a trace in the shop: 8,560 traces make about 200k spans.
  const trainFile = sim(dir, 'shop-normal', 6000, 2);
  const scoreFile = sim(dir, 'shop-latency', 8560, 1);
  const tinyFile = sim(dir, 'shop-normal', 5, 3);
  const models = { ae: join(dir, 'model'), plain: join(dir, 'model-no-ae') };
  for (const m of Object.values(models)) rmSync(m, { recursive: true, force: true });
  await cli('train', trainFile, '--model', models.ae, '-q');
  await cli('train', trainFile, '--model', models.plain, '--no-autoencoder', '-q');

  const parse: Usage[] = [];
  const score: Usage[] = [];
  const plain: Usage[] = [];
  const startPlain: Usage[] = [];
  const startAe: Usage[] = [];
  const bareNode: Usage[] = [];
  const scoreArgs = (model: string, file: string) => [
    'score',
    file,
    '--model',
    model,
    '-q',
    '--output',
    '/dev/null',
  ];
  for (let r = 0; r < runs; r++) {
    parse.push(await run(['-e', BARE_PARSE, scoreFile]));
    score.push(await cli(...scoreArgs(models.ae, scoreFile)));
    plain.push(await cli(...scoreArgs(models.plain, scoreFile)));
    startPlain.push(await cli(...scoreArgs(models.plain, tinyFile)));
    startAe.push(await cli(...scoreArgs(models.ae, tinyFile)));
    bareNode.push(await run(['--import', USAGE_HOOK, '-e', '0']));
  }
  const med = (xs: Usage[], k: keyof Usage) => median(xs.map((x) => x[k]));
  const spans = spansIn(scoreFile);
  const parseCpu = med(parse, 'cpu');
  return {
    spans,
    megabytes: statSync(scoreFile).size / 1048576,
    parseCpuSeconds: parseCpu,
    scoreCpuSeconds: med(score, 'cpu'),
    scoreToParse: med(score, 'cpu') / parseCpu,
    spansPerCpuSecond: spans / med(score, 'cpu'),
    scorePeakRssMB: Math.max(...score.map((x) => x.rss)) / 1048576,
    noAeCpuSeconds: med(plain, 'cpu'),
    noAeToParse: med(plain, 'cpu') / parseCpu,
    noAePeakRssMB: Math.max(...plain.map((x) => x.rss)) / 1048576,
    parsePeakRssMB: Math.max(...parse.map((x) => x.rss)) / 1048576,
    startupCpuMs: med(startPlain, 'cpu') * 1000,
    startupWallMs: med(startPlain, 'wall') * 1000,
    startupAeCpuMs: med(startAe, 'cpu') * 1000,
    startupAeWallMs: med(startAe, 'wall') * 1000,
    // The floor under any start-up: node itself, doing nothing, on the same machine at the same time.
    bareNodeCpuMs: med(bareNode, 'cpu') * 1000,
  };
}
