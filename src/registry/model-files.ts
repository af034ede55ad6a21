import type { AutoencoderArtifacts } from '../detectors/autoencoder.js';
import { ModelSet, type ModelSetArtifacts } from '../scoring/model-set.js';
import { MODEL_FILE, SCALER_FILE, WEIGHTS_FILE } from './tf-files.js';
import { forestFromFile, forestToFile, isForestFileRef } from './forest-files.js';

/**
 * A model set as named files, the one layout both the directory registry (models/) and the Redis registry
 * use:
 *   manifest.json      format, feature-schema version, training window, counts, calibration, metrics
 *   baseline.json      the robust baseline
 *   calibration.json   the baseline's score calibrator
 *   endpoints.json     per busy endpoint: call-path vectorizer, isolation forest (its scalars and file),
 *                      calibrators, autoencoder dir
 *   forests/N.bin      an isolation forest's node arrays (forest-files.ts); model sets written before this
 *                      file existed keep the arrays in endpoints.json, and are read as they are
 *   autoencoders/N/    model.json + weights.bin (tfjs layout) + scaler.json
 */
export type ModelFiles = Map<string, Buffer>;

const json = (v: unknown, pretty = false) =>
  Buffer.from(JSON.stringify(v, null, pretty ? 2 : undefined) + (pretty ? '\n' : ''));

export function artifactsToFiles(a: ModelSetArtifacts): ModelFiles {
  const files: ModelFiles = new Map();
  const endpoints: Record<string, unknown> = {};
  let n = 0;
  let forests = 0;
  for (const [key, e] of Object.entries(a.endpoints)) {
    const ae = a.autoencoders[key];
    let autoencoder: string | undefined;
    if (ae) {
      autoencoder = `autoencoders/${n++}`;
      files.set(`${autoencoder}/${MODEL_FILE}`, json(ae.modelJson));
      files.set(`${autoencoder}/${WEIGHTS_FILE}`, Buffer.from(ae.weights));
      files.set(`${autoencoder}/${SCALER_FILE}`, json(ae.scaler));
    }
    const forest = e.forest === undefined ? undefined : forestToFile(e.forest, `forests/${forests++}.bin`);
    if (forest) files.set(forest.ref.file, forest.bytes);
    endpoints[key] = { ...e, forest: forest?.ref, autoencoder };
  }
  files.set('manifest.json', json(a.manifest, true));
  files.set('baseline.json', json(a.baseline));
  files.set('calibration.json', json(a.calibrator));
  files.set('endpoints.json', json(endpoints));
  return files;
}

/** `read` returns a file's bytes or undefined; `where` names the model for messages. */
export async function filesToArtifacts(
  read: (path: string) => Promise<Buffer | undefined>,
  where: string,
): Promise<ModelSetArtifacts> {
  const readJson = async (path: string): Promise<unknown> => {
    const buf = await read(path);
    if (!buf) throw new Error(`${where}: ${path} is missing (was this model written by tracehound train?)`);
    try {
      return JSON.parse(buf.toString('utf8'));
    } catch (err) {
      throw new Error(`${where}: ${path} is not valid JSON (${(err as Error).message})`);
    }
  };
  const raw = (await readJson('endpoints.json')) as Record<
    string,
    ModelSetArtifacts['endpoints'][string] & { autoencoder?: string }
  >;
  const endpoints: ModelSetArtifacts['endpoints'] = {};
  const autoencoders: Record<string, AutoencoderArtifacts> = {};
  for (const [key, e] of Object.entries(raw)) {
    const { autoencoder, ...rest } = e;
    if (isForestFileRef(rest.forest)) {
      const bytes = await read(rest.forest.file);
      if (!bytes) throw new Error(`${where}: ${rest.forest.file} is missing`);
      try {
        rest.forest = forestFromFile(rest.forest, bytes);
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}`);
      }
    }
    endpoints[key] = rest;
    if (!autoencoder) continue;
    const weights = await read(`${autoencoder}/${WEIGHTS_FILE}`);
    if (!weights) throw new Error(`${where}: ${autoencoder}/${WEIGHTS_FILE} is missing`);
    autoencoders[key] = {
      modelJson: (await readJson(`${autoencoder}/${MODEL_FILE}`)) as AutoencoderArtifacts['modelJson'],
      weights: new Uint8Array(weights),
      scaler: (await readJson(`${autoencoder}/${SCALER_FILE}`)) as AutoencoderArtifacts['scaler'],
    };
  }
  return {
    manifest: (await readJson('manifest.json')) as ModelSetArtifacts['manifest'],
    baseline: await readJson('baseline.json'),
    calibrator: await readJson('calibration.json'),
    endpoints,
    autoencoders,
  };
}

/** A model set from its files (a directory, a Redis hash, a training thread's answer). */
export async function modelSetFromFiles(
  read: (path: string) => Promise<Buffer | undefined>,
  where: string,
): Promise<ModelSet> {
  const artifacts = await filesToArtifacts(read, where);
  try {
    return await ModelSet.fromArtifacts(artifacts);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
}
