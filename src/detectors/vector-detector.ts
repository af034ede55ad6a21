import type { RowsInput } from './matrix.js';

/**
 * What the model set asks of a detector over an endpoint's call-path vectors (the isolation forest, the
 * autoencoder): a raw score per row, higher for rarer rows, on its own scale; the model set calibrates each
 * detector's scores against held-out normal traffic before combining them. Fitting and saving differ per
 * detector (the autoencoder trains asynchronously and its weights are binary), so they stay with each class.
 */
export interface VectorDetector {
  scoreMany(rows: RowsInput): Float64Array;
}
