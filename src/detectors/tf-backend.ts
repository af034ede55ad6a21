import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type Tf = typeof import('@tensorflow/tfjs');

export interface TfHandle {
  tf: Tf;
  /** 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  backend: string;
}

export interface InitTfOptions {
  /** Receives one line saying which backend was chosen (and why others were not); silent by default. */
  debug?: (message: string) => void;
}

let pending: Promise<TfHandle> | undefined;

/**
 * Loads TensorFlow.js once with the fastest backend that works here: the native binding
 * (@tensorflow/tfjs-node, optional and often unavailable), else WebAssembly, else plain JS.
 * Memoized so every model shares one engine and the choice is logged once.
 */
export function initTf(options: InitTfOptions = {}): Promise<TfHandle> {
  pending ??= load(options.debug ?? (() => {}));
  return pending;
}

async function load(debug: (message: string) => void): Promise<TfHandle> {
  const notes: string[] = [];
  try {
    // A variable specifier keeps TypeScript from requiring the optional package's types.
    const nodeBinding = '@tensorflow/tfjs-node';
    const tf = (await import(nodeBinding)) as Tf;
    await tf.ready();
    debug(`tensorflow.js backend: ${tf.getBackend()} (@tensorflow/tfjs-node)`);
    return { tf, backend: tf.getBackend() };
  } catch (err) {
    notes.push(`tfjs-node unavailable (${shortError(err)})`);
  }

  // Core and layers, not the @tensorflow/tfjs bundle: that also loads the WebGL backend, the converter and
  // tfjs-data, none of which the autoencoder uses, and cost ~160 ms CPU of every start with autoencoders.
  const [core, layers] = await Promise.all([
    import('@tensorflow/tfjs-core'),
    import('@tensorflow/tfjs-layers'),
  ]);
  const tf = { ...core, ...layers } as unknown as Tf;
  // Prod mode skips per-op debug checks and silences tfjs's console banner (it would go to the
  // user's terminal on the cpu fallback); detectors log through `debug` instead.
  tf.enableProdMode();
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // In Node the backend cannot fetch its .wasm files over HTTP; point it at the installed copies.
    const main = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(join(dirname(main), '/'));
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      debug(`tensorflow.js backend: wasm; ${notes.join('; ')}`);
      return { tf, backend: 'wasm' };
    }
    notes.push('wasm backend failed to initialise');
  } catch (err) {
    notes.push(`wasm unavailable (${shortError(err)})`);
  }
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  await tf.ready();
  debug(`tensorflow.js backend: cpu; ${notes.join('; ')}`);
  return { tf, backend: 'cpu' };
}

function shortError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].slice(0, 120);
}
