import { mkdir, readFile, rm, writeFile, rename } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AutoencoderArtifacts } from '../detectors/autoencoder.js';
import { ModelSet, type ModelSetArtifacts } from '../scoring/model-set.js';
import { MODEL_FILE, SCALER_FILE, WEIGHTS_FILE } from './tf-files.js';

/**
 * A model set on disk:
 *   manifest.json      format, feature-schema version, training window, counts, calibration, metrics
 *   baseline.json      the robust baseline
 *   calibration.json   the baseline's score calibrator
 *   endpoints.json     per busy endpoint: call-path vectorizer, isolation forest, calibrators, autoencoder dir
 *   autoencoders/N/    model.json + weights.bin (tfjs layout) + scaler.json
 * Written to a temporary directory and renamed into place, so a reader never sees half a model set.
 */
export async function saveModelSet(dir: string, set: ModelSet): Promise<void> {
  const a = await set.toArtifacts();
  const target = resolve(dir);
  const tmp = `${target}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, 'autoencoders'), { recursive: true });
  const endpoints: Record<string, unknown> = {};
  let n = 0;
  for (const [key, e] of Object.entries(a.endpoints)) {
    const ae = a.autoencoders[key];
    let autoencoder: string | undefined;
    if (ae) {
      autoencoder = `autoencoders/${n++}`;
      await mkdir(join(tmp, autoencoder));
      await writeFile(join(tmp, autoencoder, MODEL_FILE), JSON.stringify(ae.modelJson));
      await writeFile(join(tmp, autoencoder, WEIGHTS_FILE), ae.weights);
      await writeFile(join(tmp, autoencoder, SCALER_FILE), JSON.stringify(ae.scaler));
    }
    endpoints[key] = { ...e, autoencoder };
  }
  await writeFile(join(tmp, 'manifest.json'), JSON.stringify(a.manifest, null, 2) + '\n');
  await writeFile(join(tmp, 'baseline.json'), JSON.stringify(a.baseline));
  await writeFile(join(tmp, 'calibration.json'), JSON.stringify(a.calibrator));
  await writeFile(join(tmp, 'endpoints.json'), JSON.stringify(endpoints));
  await rm(target, { recursive: true, force: true });
  await rename(tmp, target);
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Error(`${path}: missing (is this a model directory written by tracehound train?)`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

export async function loadModelSet(dir: string): Promise<ModelSet> {
  const root = resolve(dir);
  if (!existsSync(join(root, 'manifest.json')))
    throw new Error(`${root}: no manifest.json, not a model directory`);
  const manifest = (await readJson(join(root, 'manifest.json'))) as ModelSetArtifacts['manifest'];
  const rawEndpoints = (await readJson(join(root, 'endpoints.json'))) as Record<
    string,
    ModelSetArtifacts['endpoints'][string] & { autoencoder?: string }
  >;
  const endpoints: ModelSetArtifacts['endpoints'] = {};
  const autoencoders: Record<string, AutoencoderArtifacts> = {};
  for (const [key, e] of Object.entries(rawEndpoints)) {
    const { autoencoder, ...rest } = e;
    endpoints[key] = rest;
    if (autoencoder) {
      const d = join(root, autoencoder);
      autoencoders[key] = {
        modelJson: (await readJson(join(d, MODEL_FILE))) as AutoencoderArtifacts['modelJson'],
        weights: new Uint8Array(await readFile(join(d, WEIGHTS_FILE))),
        scaler: (await readJson(join(d, SCALER_FILE))) as AutoencoderArtifacts['scaler'],
      };
    }
  }
  try {
    return await ModelSet.fromArtifacts({
      manifest,
      baseline: await readJson(join(root, 'baseline.json')),
      calibrator: await readJson(join(root, 'calibration.json')),
      endpoints,
      autoencoders,
    });
  } catch (err) {
    throw new Error(`${root}: ${(err as Error).message}`);
  }
}
