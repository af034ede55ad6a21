/**
 * The request code's view of one span in progress: a clock, and the things code does (compute, call a
 * service, query a database, publish a message). Every call writes the spans real instrumentation would:
 * client and server halves with network gaps between them, status and attributes per the conventions.
 */
import type { AttrValue, Instance, SimSpan } from './model.js';
import { ms, type TraceBuilder } from './trace-builder.js';
import type { ServiceSpec } from './services.js';
import { stackOf } from './semconv.js';

export type Handler = (ctx: SpanCtx) => void;

/** How a call ended, as the caller sees it: a gRPC status code or an HTTP status. */
export interface Outcome {
  ok: boolean;
  code: number;
}

const ERROR_NAMES: Record<number, string> = {
  2: 'UNKNOWN',
  4: 'DEADLINE_EXCEEDED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
};
export const grpcCodeName = (c: number) => ERROR_NAMES[c] ?? String(c);

export class SpanCtx {
  now: number;
  /** The response this span gives: a gRPC code (0 = OK) or an HTTP status. */
  code: number;

  constructor(
    readonly tb: TraceBuilder,
    readonly span: SimSpan,
    readonly spec: ServiceSpec,
    readonly podIndex: number,
    /** The operation name faults are keyed by (the RPC method or the route). */
    readonly operation: string,
    readonly protocol: 'grpc' | 'http' | 'none',
  ) {
    this.now = span.start;
    this.code = protocol === 'http' ? 200 : 0;
  }

  get inst(): Instance {
    return this.span.instance;
  }

  get rng() {
    return this.tb.rng;
  }

  /** Load on this service now (0..0.92). */
  get rho(): number {
    return this.tb.world.utilization(this.spec.name, this.now);
  }

  /**
   * Local work (the span's self time): heavy-tailed, slower on a busy pod, stretched by any pause of the pod,
   * and multiplied by a latency fault on this operation or pod.
   */
  work(medianMs: number, sigma = 0.35, tailP = 0.01): void {
    const w = this.tb.world;
    let d = this.rng.heavyTailed(medianMs * 1000, sigma, tailP) * (1 + 0.6 * this.rho ** 2);
    const f = w.faults.workFactor(this.inst, this.podIndex, this.operation, this.now);
    if (f) {
      this.tb.effect(
        f.id,
        this.spec.name,
        `${this.spec.name} ${this.operation} on ${this.inst.pod} worked ${ms(d * f.factor)} ms instead of ${ms(d)} ms`,
      );
      d *= f.factor;
    }
    this.now = this.waitStalls(this.now, d);
  }

  /** Runs d µs of work on this pod from t, waiting out its pauses; a fault's pause is recorded as its effect. */
  waitStalls(t: number, d: number): number {
    const r = this.tb.world.stallsOf(this.inst).run(t, d);
    for (const s of r.waited)
      if (s.faultId)
        this.tb.effect(
          s.faultId,
          this.spec.name,
          `${this.inst.pod} was blocked for ${ms(Math.min(s.end, r.end) - Math.max(s.start, t))} ms while serving`,
        );
    return r.end;
  }

  /** A child span of this pod's own code (a middleware, a computation), ended when `fn` returns. */
  internal(name: string, fn: Handler, attributes: Record<string, AttrValue> = {}): void {
    const s = this.tb.span(this.span, name, 'internal', this.now, this.inst, attributes);
    const sub = this.child(s);
    fn(sub);
    s.end = sub.now;
    this.now = s.end;
  }

  /** A context for another span of the same pod (an internal span, a client span that fails). */
  child(span: SimSpan, protocol: SpanCtx['protocol'] = 'none'): SpanCtx {
    return new SpanCtx(this.tb, span, this.spec, this.podIndex, this.operation, protocol);
  }

  /** Branches that run at the same time (futures awaited together); the clock moves to the last to finish. */
  parallel(...branches: Handler[]): void {
    let end = this.now;
    for (const b of branches) {
      const fork = new SpanCtx(this.tb, this.span, this.spec, this.podIndex, this.operation, this.protocol);
      fork.now = this.now;
      b(fork);
      end = Math.max(end, fork.now);
    }
    this.now = end;
  }

  /**
   * Fails this span: status ERROR with the code, and an exception event when code threw. HTTP servers mark
   * only 5xx as errors (a 4xx is the client's problem), as the conventions ask.
   */
  fail(code: number, message: string, exceptionType?: string): void {
    this.code = code;
    const isError = this.protocol !== 'http' || this.span.kind !== 'server' || code >= 500;
    if (isError) {
      this.span.status = 'error';
      this.span.statusMessage = message;
    }
    if (exceptionType) {
      this.span.attributes['error.type'] = exceptionType;
      this.span.events.push({
        name: 'exception',
        time: this.now,
        attributes: {
          'exception.type': exceptionType,
          'exception.message': message,
          'exception.stacktrace': stackOf(this.spec.runtime, exceptionType, message, this.operation),
        },
      });
    } else if (isError)
      this.span.attributes['error.type'] = this.protocol === 'grpc' ? grpcCodeName(code) : String(code);
  }

  /**
   * Where a release's buggy line sits: if an error fault on this operation is on and this call draws a
   * failure, the span fails here and the handler should stop (returns true).
   */
  raisesHere(): boolean {
    const f = this.tb.world.faults.error(this.spec.name, this.operation, this.now, this.rng);
    if (!f) return false;
    if (!f.fails) {
      this.tb.passed.add(f.id);
      return false;
    }
    this.work(0.15, 0.3, 0);
    this.fail(f.spec.grpcCode, f.spec.message, f.spec.errorType);
    this.tb.effect(f.id, this.spec.name, `${this.spec.name} ${this.operation} failed: ${f.spec.message}`);
    return true;
  }
}
