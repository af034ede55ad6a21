export * from './span.js';
export * from './ids.js';
export * from './trace.js';
export * from './normalize.js';
