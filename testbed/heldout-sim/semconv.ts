/**
 * Span names and attributes as OpenTelemetry instrumentation writes them: the current semantic conventions
 * for most services, the older names for the two services whose Java agent predates them (mixed fleets are
 * normal, and a reader must cope with both).
 */
import type { AttrValue } from './model.js';
import type { ServiceSpec } from './services.js';

type Attrs = Record<string, AttrValue>;

export const hostOf = (service: string) => `${service}.ridehail.svc.cluster.local`;

export function grpcAttrs(
  caller: ServiceSpec,
  rpcService: string,
  method: string,
  target: string,
  port: number,
): Attrs {
  const a: Attrs = { 'rpc.system': 'grpc', 'rpc.service': rpcService, 'rpc.method': method };
  if (caller.semconv === 'legacy') {
    a['net.peer.name'] = hostOf(target);
    a['net.peer.port'] = port;
  } else {
    a['server.address'] = hostOf(target);
    a['server.port'] = port;
  }
  return a;
}

export function grpcServerAttrs(rpcService: string, method: string): Attrs {
  return { 'rpc.system': 'grpc', 'rpc.service': rpcService, 'rpc.method': method };
}

/** An HTTP client span: the name is the method alone, as the stock Node and Java instrumentations write it. */
export function httpClient(caller: ServiceSpec, method: string, url: string): { name: string; attrs: Attrs } {
  const u = new URL(url);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  if (caller.semconv === 'legacy')
    return {
      name: `HTTP ${method}`,
      attrs: { 'http.method': method, 'http.url': url, 'net.peer.name': u.hostname, 'net.peer.port': port },
    };
  return {
    name: method,
    attrs: {
      'http.request.method': method,
      'url.full': url,
      'server.address': u.hostname,
      'server.port': port,
      'network.protocol.version': '1.1',
    },
  };
}

export function httpStatusKey(s: ServiceSpec): string {
  return s.semconv === 'legacy' ? 'http.status_code' : 'http.response.status_code';
}

export function httpServer(
  callee: ServiceSpec,
  method: string,
  route: string,
  path: string,
  userAgent: string,
): { name: string; attrs: Attrs } {
  const attrs: Attrs =
    callee.semconv === 'legacy'
      ? { 'http.method': method, 'http.route': route, 'http.target': path, 'http.scheme': 'http' }
      : {
          'http.request.method': method,
          'http.route': route,
          'url.path': path,
          'url.scheme': callee.port === 8443 ? 'https' : 'http',
          'server.address': hostOf(callee.name),
          'server.port': callee.port,
          'network.protocol.version': '1.1',
          'user_agent.original': userAgent,
        };
  return { name: `${method} ${route}`, attrs };
}

export type DbSystem = 'postgresql' | 'redis' | 'mongodb';

/** A database client span; `operation` is the command (SELECT, get, find) and `collection` the table. */
export function dbClient(
  caller: ServiceSpec,
  system: DbSystem,
  address: string,
  operation: string,
  collection: string | undefined,
  query: string,
): { name: string; attrs: Attrs } {
  const port = system === 'postgresql' ? 5432 : system === 'redis' ? 6379 : 27017;
  const name = collection ? `${operation} ${collection}` : operation;
  if (caller.semconv === 'legacy')
    return {
      name,
      attrs: {
        'db.system': system,
        'db.statement': query,
        'db.operation': operation,
        ...(collection ? { 'db.sql.table': collection } : {}),
        'net.peer.name': address,
        'net.peer.port': port,
      },
    };
  return {
    name,
    attrs: {
      'db.system.name': system,
      'db.operation.name': operation,
      ...(collection ? { 'db.collection.name': collection } : {}),
      'db.query.text': query,
      'server.address': address,
      'server.port': port,
    },
  };
}

export const KAFKA = 'kafka-0.kafka-headless.data.svc.cluster.local';

export function messagingAttrs(
  op: 'send' | 'process',
  topic: string,
  key: string,
  partition: number,
  extra: Attrs = {},
): Attrs {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': op,
    'messaging.operation.name': op,
    'messaging.destination.name': topic,
    'messaging.destination.partition.id': String(partition),
    'messaging.kafka.message.key': key,
    'server.address': KAFKA,
    'server.port': 9092,
    ...extra,
  };
}

/** A short stack, in the style of the runtime that threw. */
export function stackOf(
  runtime: ServiceSpec['runtime'],
  type: string,
  message: string,
  where: string,
): string {
  switch (runtime) {
    case 'python':
      return `Traceback (most recent call last):\n  File "/app/${where}.py", line 88, in score\n${type}: ${message}`;
    case 'jvm':
      return `${type}: ${message}\n\tat com.ridehail.${where}(${where}.java:142)\n\tat io.grpc.stub.ServerCalls$UnaryServerCallHandler.onHalfClose(ServerCalls.java:182)`;
    case 'node':
      return `${type}: ${message}\n    at ${where} (/app/dist/${where}.js:57:13)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)`;
    default:
      return `${type}: ${message}\ngoroutine 1 [running]:\nmain.${where}()\n\t/app/${where}.go:64 +0x1d`;
  }
}
