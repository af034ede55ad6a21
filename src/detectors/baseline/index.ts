export { BaselineModel, BaselineTrainer, trainBaseline } from './model.js';
export { DEFAULT_BASELINE_OPTIONS, resolveOptions, type BaselineOptions } from './options.js';
export { scoreTrace, type BaselineScore, type Evidence, type EvidenceKind } from './score.js';
export { LogSketch, toT, fromT, BUCKET_WIDTH, type LogSketchJson } from './log-sketch.js';
export { CountDist, summarize, type LatencySummary } from './summary.js';
export { PathStats, GapStats, Population, opLabel, pooledGapKey } from './population.js';
export { observePaths, isErrorOrigin, type PathObservations } from './observe.js';
export { BASELINE_FORMAT, BASELINE_VERSION, type BaselineModelJson } from './serialize.js';
