export { BaselineModel, trainBaseline, trainBaselineOn } from './model.js';
export type { BaselineProfile, BaselineTrace } from './input.js';
export { type BaselineOptions } from './options.js';
export { type BaselineScore } from './evidence.js';
export { LogSketch, toT } from './log-sketch.js';
export { CountDist, summarize } from './summary.js';
