import { describe, expect, it } from 'vitest';
import { IsolationForest } from '../../src/detectors/isolation-forest.js';
import { Prng } from '../../src/detectors/prng.js';
import { forestFromFile, forestToFile } from '../../src/registry/forest-files.js';
import { filesToArtifacts } from '../../src/registry/model-files.js';
import { gaussianRows } from '../helpers/gaussian.js';

const rows = gaussianRows(new Prng(5), 600, 4);
const forest = IsolationForest.fit(rows, { seed: 9, trees: 20 });
const probes = gaussianRows(new Prng(6), 50, 4).map((r, i) => (i % 5 === 0 ? r.map((x) => x * 8) : r));

describe('isolation forests as binary files', () => {
  it('round-trips to the same forest: the same arrays, bit for bit, and the same scores', () => {
    const { ref, bytes } = forestToFile(forest.toJSON(), 'forests/0.bin');
    expect(ref).toMatchObject({ file: 'forests/0.bin', trees: 20, nodes: forest.nodeCount, numFeatures: 4 });
    const back = IsolationForest.fromJSON(forestFromFile(ref, bytes));
    expect(back.toJSON()).toEqual(forest.toJSON());
    expect(Array.from(back.scoreMany(probes))).toEqual(Array.from(forest.scoreMany(probes)));
  });

  it('reads from a buffer that does not start on an aligned offset (a slice of a pooled buffer)', () => {
    const { ref, bytes } = forestToFile(forest.toJSON(), 'f.bin');
    const padded = Buffer.concat([Buffer.alloc(3), bytes]).subarray(3);
    expect(padded.byteOffset % 8).not.toBe(0);
    expect(IsolationForest.fromJSON(forestFromFile(ref, padded)).toJSON()).toEqual(forest.toJSON());
  });

  it('refuses a file of the wrong length, and one whose nodes point backwards', () => {
    const { ref, bytes } = forestToFile(forest.toJSON(), 'forests/1.bin');
    expect(() => forestFromFile(ref, bytes.subarray(0, bytes.length - 4))).toThrow(
      /forests\/1\.bin: \d+ bytes, expected \d+ for 20 trees/,
    );
    // `left` of the first inner node, made to point at itself: scoring would never end.
    const bad = Buffer.from(bytes);
    const json = forest.toJSON();
    const inner = json.feature.findIndex((f) => f >= 0);
    const leftAt = 8 * ref.nodes + 4 * ref.trees + 4 * ref.nodes + 4 * inner;
    bad.writeInt32LE(inner, leftAt);
    expect(() => IsolationForest.fromJSON(forestFromFile(ref, bad))).toThrow(
      /left\[\d+\] = \d+ must point to a later node/,
    );
  });

  it('model files: a forest is written beside endpoints.json, and a model set written before keeps loading', async () => {
    const endpoint = { vectorizer: { paths: ['a:b'] }, calibrators: {} };
    const { ref, bytes } = forestToFile(forest.toJSON(), 'forests/0.bin');
    const files = new Map<string, Buffer>([
      ['endpoints.json', Buffer.from(JSON.stringify({ 'a:b': { ...endpoint, forest: ref } }))],
      ['forests/0.bin', bytes],
    ]);
    const read = async (p: string) => files.get(p);
    for (const f of ['manifest.json', 'baseline.json', 'calibration.json']) files.set(f, Buffer.from('{}'));
    const now = await filesToArtifacts(read, 'm');
    expect(IsolationForest.fromJSON(now.endpoints['a:b'].forest).toJSON()).toEqual(forest.toJSON());
    // The earlier layout: the forest's arrays inline.
    files.set(
      'endpoints.json',
      Buffer.from(JSON.stringify({ 'a:b': { ...endpoint, forest: forest.toJSON() } })),
    );
    files.delete('forests/0.bin');
    const before = await filesToArtifacts(read, 'm');
    expect(IsolationForest.fromJSON(before.endpoints['a:b'].forest).toJSON()).toEqual(forest.toJSON());
    // A reference to a file that is not there is named.
    files.set('endpoints.json', Buffer.from(JSON.stringify({ 'a:b': { ...endpoint, forest: ref } })));
    await expect(filesToArtifacts(read, 'm')).rejects.toThrow(/m: forests\/0\.bin is missing/);
  });
});
