/**
 * The OpenTelemetry set-up every testbed service loads before its own code, the way the OpenTelemetry JS
 * docs tell an ES-module app to: `node --import tsx --import ./telemetry.ts service.ts`. It registers the
 * import hook (so Express, loaded by `import`, can be patched), a NodeTracerProvider with the stock
 * BatchSpanProcessor, and the HTTP and Express instrumentations.
 *
 * Configured from the standard environment variables: OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_TRACES_EXPORTER (`otlp` or `zipkin`), OTEL_EXPORTER_OTLP_TRACES_PROTOCOL (`http/protobuf` or
 * `http/json`), OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_ZIPKIN_ENDPOINT, OTEL_BSP_*. The exporters
 * and the span processor read their own variables; this file reads only the two that pick an exporter,
 * which the NodeSDK would read but the lighter NodeTracerProvider does not.
 */
import { register } from 'node:module';
import { DiagConsoleLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import {
  detectResources,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
  serviceInstanceIdDetector,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);

// Exporter failures (a refused push, an answer the exporter cannot read) go to the service's log.
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);

function exporter(): SpanExporter {
  const kind = process.env.OTEL_TRACES_EXPORTER ?? 'otlp';
  if (kind === 'zipkin') return new ZipkinExporter();
  if (kind !== 'otlp') throw new Error(`OTEL_TRACES_EXPORTER: "${kind}" is not one of otlp, zipkin`);
  const protocol = process.env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? 'http/protobuf';
  if (protocol === 'http/protobuf') return new OtlpProtoExporter();
  if (protocol === 'http/json') return new OtlpJsonExporter();
  throw new Error(`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "${protocol}" is not one of http/protobuf, http/json`);
}

const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ [ATTR_SERVICE_VERSION]: process.env.SERVICE_VERSION ?? '1.0.0' }).merge(
    detectResources({ detectors: [envDetector, hostDetector, processDetector, serviceInstanceIdDetector] }),
  ),
  spanProcessors: [new BatchSpanProcessor(exporter())],
});
provider.register();

registerInstrumentations({
  instrumentations: [
    new HttpInstrumentation({
      // The testbed's fault switch and readiness probe are not traffic, as health checks are not in real apps.
      ignoreIncomingRequestHook: (req) => (req.url ?? '').startsWith('/admin/'),
    }),
    new ExpressInstrumentation(),
  ],
});

// Spans still in the batch are exported before the process ends.
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    void provider.shutdown().finally(() => process.exit(0));
  });
