import { z } from 'zod';
import type { Served } from './smoothing.js';

const Probability = z.number().min(0).max(1);

/**
 * Jaeger's sampling strategy response (the remote sampling API's JSON: its protobuf mapped to JSON), the
 * subset a per-operation probabilistic strategy uses. Jaeger SDKs, the Collector's jaegerremotesampling
 * extension and @opentelemetry/sampler-jaeger-remote read it.
 */
export const JaegerStrategySchema = z.object({
  strategyType: z.literal('PROBABILISTIC'),
  /** What a tracer without per-operation support applies to every trace. */
  probabilisticSampling: z.object({ samplingRate: Probability }),
  operationSampling: z.object({
    /** Operations not listed below. */
    defaultSamplingProbability: Probability,
    /** Jaeger SDKs keep at least this many traces a second per operation by rate limiting (OpenTelemetry's
     *  sampler ignores it; the probabilities below already carry the floor). */
    defaultLowerBoundTracesPerSecond: z.number().nonnegative(),
    perOperationStrategies: z.array(
      z.object({ operation: z.string(), probabilisticSampling: z.object({ samplingRate: Probability }) }),
    ),
  }),
});
export type JaegerStrategy = z.infer<typeof JaegerStrategySchema>;

/** The strategy that serves these probabilities, operations in name order. */
export function jaegerStrategy(served: Served, floorTps: number): JaegerStrategy {
  return {
    strategyType: 'PROBABILISTIC',
    probabilisticSampling: { samplingRate: served.defaultProbability },
    operationSampling: {
      defaultSamplingProbability: served.defaultProbability,
      defaultLowerBoundTracesPerSecond: floorTps,
      perOperationStrategies: Object.keys(served.operations)
        .sort()
        .map((operation) => ({
          operation,
          probabilisticSampling: { samplingRate: served.operations[operation] },
        })),
    },
  };
}
