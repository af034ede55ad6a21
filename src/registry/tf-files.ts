import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Autoencoder, type AutoencoderArtifacts } from '../detectors/autoencoder.js';

/**
 * Files for an autoencoder, in the layout tfjs's own file:// handler uses (model.json naming
 * weights.bin) so the model opens in other tfjs tools, plus scaler.json. The core produces and
 * takes artifacts in memory; only this edge file touches the disk.
 */

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const SCALER_FILE = 'scaler.json';

export async function saveAutoencoder(dir: string, model: Autoencoder): Promise<void> {
  const a = await model.toArtifacts();
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, MODEL_FILE), JSON.stringify(a.modelJson));
  await writeFile(join(dir, WEIGHTS_FILE), a.weights);
  await writeFile(join(dir, SCALER_FILE), JSON.stringify(a.scaler));
}

export async function loadAutoencoder(dir: string): Promise<Autoencoder> {
  const modelJson = await readJson(join(dir, MODEL_FILE));
  const scaler = await readJson(join(dir, SCALER_FILE));
  const weights = new Uint8Array(await readFile(join(dir, WEIGHTS_FILE)));
  return Autoencoder.fromArtifacts({ modelJson, weights, scaler } as AutoencoderArtifacts);
}

async function readJson(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${err instanceof Error ? err.message : err})`);
  }
}
