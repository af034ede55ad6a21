export { BaselineModel, trainBaseline } from './model.js';
export { type BaselineOptions } from './options.js';
export { type BaselineScore } from './evidence.js';
export { LogSketch, toT } from './log-sketch.js';
export { CountDist, summarize } from './summary.js';
