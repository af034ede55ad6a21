/**
 * Writes the held-out run to files Tracehound reads, with its truth:
 *
 *   npx tsx testbed/heldout-sim/cli.ts --out DIR [--seed 1] [--rate 3] [--format otlp-json|jaeger-v1|zipkin-v2]
 *
 * DIR/train<ext>.gz (fault-free), DIR/test<ext>.gz (with the faults), DIR/truth.json (the scenario, the fault
 * windows and the truth rule) and DIR/test.truth.ndjson (one TraceTruth per test trace). Then, for example:
 *   npx tsx src/cli/main.ts train DIR/train.otlp.json.gz --model DIR/model
 *   npx tsx src/cli/main.ts incidents DIR/test.otlp.json.gz --model DIR/model
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { progress } from '../../src/cli/progress.js';
import { generate, TRUTH_RULE, type Period } from './generate.js';
import { heldoutScenario } from './scenario.js';
import { EXTENSION, WIRE_FORMATS, type WireFormat } from './wire/index.js';
import { writePeriod } from './write.js';

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new Error(`--${name} wants a positive number, got "${v}"`);
  return n;
}

async function writeOne(dir: string, name: string, p: Period, format: WireFormat, truth?: string[]) {
  const path = join(dir, `${name}${EXTENSION[format]}.gz`);
  const bar = progress(`${name}: simulated minutes`);
  let traces = 0;
  await writePeriod(path, format, generate(p), (g) => {
    traces++;
    truth?.push(JSON.stringify(g.truth));
    bar.update(Math.floor((g.truth.start - p.start) / 60e6), p.minutes);
  });
  bar.stop();
  process.stderr.write(`${path}: ${traces} traces over ${p.minutes} minutes\n`);
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      rate: { type: 'string', default: '3' },
      format: { type: 'string', default: 'otlp-json' },
    },
  });
  if (!values.out) throw new Error('--out DIR is required');
  const format = values.format as WireFormat;
  if (!WIRE_FORMATS.includes(format))
    throw new Error(`--format must be one of ${WIRE_FORMATS.join(', ')}, got "${values.format}"`);
  const seed = positive('seed', values.seed);
  const s = heldoutScenario(seed, positive('rate', values.rate));
  mkdirSync(values.out, { recursive: true });
  const truth: string[] = [];
  await writeOne(values.out, 'train', s.train, format);
  await writeOne(values.out, 'test', s.test, format, truth);
  writeFileSync(join(values.out, 'test.truth.ndjson'), truth.join('\n') + '\n');
  const meta = {
    seed,
    rate: s.test.ratePerS,
    train: s.train,
    test: { ...s.test, faults: undefined },
    faults: s.test.faults,
    rule: TRUTH_RULE,
  };
  writeFileSync(join(values.out, 'truth.json'), JSON.stringify(meta, null, 2) + '\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
