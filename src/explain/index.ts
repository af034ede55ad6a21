export { explainTrace, topCauses, type RootCause } from './explain.js';
export { formatMs, formatPercent } from './format.js';
export { nearestDeviations } from './nearest-deviation.js';
