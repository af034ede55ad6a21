import { InputError } from '../formats/types.js';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ModelSet } from '../scoring/model-set.js';
import { artifactsToFiles, modelSetFromFiles } from './model-files.js';

/**
 * A model set as a directory (see model-files.ts for the layout). Written to a temporary directory and
 * renamed into place, so a reader never sees half a model set.
 */
export async function saveModelSet(dir: string, set: ModelSet): Promise<void> {
  const files = artifactsToFiles(await set.toArtifacts());
  const target = resolve(dir);
  const tmp = `${target}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  for (const [path, bytes] of files) {
    await mkdir(dirname(join(tmp, path)), { recursive: true });
    await writeFile(join(tmp, path), bytes);
  }
  await rm(target, { recursive: true, force: true });
  await rename(tmp, target);
}

export async function loadModelSet(dir: string): Promise<ModelSet> {
  const root = resolve(dir);
  if (!existsSync(join(root, 'manifest.json')))
    throw new InputError(
      root,
      '',
      'not a model directory (no manifest.json; `tracehound train --model DIR` makes one)',
    );
  try {
    return await modelSetFromFiles((path) => readFile(join(root, path)).catch(() => undefined), root);
  } catch (err) {
    throw new InputError(root, '', `not a readable model: ${(err as Error).message}`);
  }
}
