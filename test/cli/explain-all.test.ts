import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { trainModelSet } from '../../src/scoring/train.js';
import { explainOptions } from '../../src/scoring/model-set.js';
import { saveModelSet, loadModelSet } from '../../src/registry/model-dir.js';
import { TraceFileWriter } from '../../src/formats/write/index.js';
import { Command } from 'commander';
import { registerScoreCommand, scoreFiles } from '../../src/cli/score.js';
import { rankedTable } from '../../src/cli/analyze.js';
import { byRank } from '../../src/scoring/rank.js';
import { formatPercent } from '../../src/explain/index.js';
import type { ScoredTrace } from '../../src/scoring/scored-trace.js';
import { normalTraffic } from '../helpers/traffic.js';

const run = promisify(execFile);
/** The CLI from source, without npx's own start-up. */
const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args]);
const dir = mkdtempSync(join(tmpdir(), 'tracehound-explain-all-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--explain all', () => {
  it('score writes every candidate cause; the default lines are their head', async () => {
    const { traffic, traces } = normalTraffic(3, 300);
    const modelDir = join(dir, 'model');
    const trained = await trainModelSet(traces, { seed: 1, forest: false, autoencoder: false });
    await saveModelSet(modelDir, trained);
    trained.dispose();
    // Mild faults together: a main cause and slivers under the 2% the default list cuts.
    const file = join(dir, 'faulty.json');
    const w = await TraceFileWriter.open(file, 'jaeger-v1');
    for (const f of [
      { slowLeaf: 5, slowRoot: 1.5, cartGapUs: 2000 },
      { slowLeaf: 20, slowRoot: 1.5, cartGapUs: 1000 },
      { slowLeaf: 5, slowRoot: 3, cartGapUs: 1000, unseenCall: true },
    ])
      await w.write(traffic.checkout(f).spans);
    await w.close();

    const out = join(dir, 'all.ndjson');
    await cli(['score', file, '--model', modelDir, '--explain', 'all', '-q', '--output', out]);
    const all = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ScoredTrace);
    const model = await loadModelSet(modelDir);
    const top: ScoredTrace[] = [];
    await scoreFiles([file], { quiet: true }, model, (s) => top.push(s));
    model.dispose();

    expect(all.map((s) => s.traceId)).toEqual(top.map((s) => s.traceId));
    all.forEach((s, i) => expect(s.rootCauses.slice(0, top[i].rootCauses.length)).toEqual(top[i].rootCauses));
    const beyond = all.flatMap((s, i) => s.rootCauses.slice(top[i].rootCauses.length));
    expect(beyond.length).toBeGreaterThan(0);
    for (const c of beyond) expect(c.contribution).toBeLessThan(0.02);

    // analyze's table then lists each cause under its trace, with its share.
    const table = rankedTable(all, 3, true).split('\n');
    const firstCauses = all.sort(byRank)[0].rootCauses;
    expect(table.slice(2, 2 + firstCauses.length).map((l) => l.trim().split(/\s+/)[0])).toEqual(
      firstCauses.map((c) => formatPercent(c.contribution)),
    );
  }, 60_000);

  it('explains fault-free traces too, saying they are within normal variation', async () => {
    const { traces } = normalTraffic(4, 300);
    const model = await trainModelSet(traces, { seed: 1, forest: false, autoencoder: false });
    const fresh = normalTraffic(5, 100).traces;
    const quiet = model.score(fresh).filter((s) => !s.anomalous);
    const all = model.score(fresh, explainOptions('all')).filter((s) => !s.anomalous);
    model.dispose();
    expect(quiet.length).toBeGreaterThan(50);
    expect(quiet.every((s) => s.rootCauses.length === 0)).toBe(true);
    const explained = all.filter((s) => s.rootCauses.length > 0);
    expect(explained.length / all.length).toBeGreaterThan(0.9);
    // Those with no evidence beyond normal variation say so.
    const nearest = explained.filter((s) => /^Within normal variation: /.test(s.rootCauses[0].evidence));
    expect(nearest.length / all.length).toBeGreaterThan(0.5);
    for (const s of explained) {
      const shares = s.rootCauses.map((c) => c.contribution);
      expect([...shares].sort((a, b) => b - a)).toEqual(shares);
      expect(shares.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1);
    }
  });

  it('is refused for anything but top or all, naming the choices', async () => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
    registerScoreCommand(program);
    const argv = ['node', 'tracehound', 'score', 'x.json', '--model', dir, '--explain', 'most'];
    await expect(program.parseAsync(argv)).rejects.toThrow(/--explain.*'most'.*top, all/);
  });
});
