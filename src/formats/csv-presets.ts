import { headersOf, parseColumns, type CsvMapping } from './csv-mapping.js';

/**
 * Named column mappings for span tables published with trace datasets. Each is a `--columns` string
 * (see csv-mapping.ts), so anything a preset does a user can do too.
 */
export interface CsvPreset {
  name: string;
  description: string;
  columns: string;
}

export const CSV_PRESETS: CsvPreset[] = [
  {
    // Nezha / TraStrainer (TrainTicket, Online Boutique): OpenTelemetry spans flattened by the authors.
    // ParentID is the literal `root` for roots (any reader treats `root` as "no parent"). The pod is
    // `<deployment>-<replicaset hash>-<pod hash>`, so the service is the pod minus its last two parts and
    // the pod is the instance. Duration is µs while Start/End are ns; Duration is taken as given.
    name: 'nezha',
    description:
      'Nezha/TraStrainer span CSV: TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,...',
    columns:
      'traceId=TraceID,spanId=SpanID,parentId=ParentID,service=PodName,serviceStrip=2,instance=PodName,' +
      'operation=OperationName,start=StartTimeUnixNano,startUnit=ns,end=EndTimeUnixNano,endUnit=ns,' +
      'duration=Duration,durationUnit=us',
  },
  {
    // ShapleyIQ (TrainTicket on Jaeger): µs times; the error tag (`True`) and HTTP 5xx both mark failures
    // (the generic rule of the reader); the server IP is the instance.
    name: 'shapleyiq',
    description:
      'ShapleyIQ span CSV: traceId,spanId,parentSpanId,service,operation,startTimeUs,durationUs,...',
    columns:
      'traceId=traceId,spanId=spanId,parentId=parentSpanId,service=service,operation=operation,' +
      'start=startTimeUs,startUnit=us,duration=durationUs,durationUnit=us,kind=spanKind,' +
      'statusCode=httpStatusCode,error=error,instance=serverIp,attr.component=component,' +
      'attr.http.status_code=httpStatusCode',
  },
  {
    // TraceBench (HDFS, X-Trace/MTracer reports). Decisions:
    // - service = agent (Namenode, Datanode, DFSClient, RPC Client, User) and instance = hostName: the
    //   agent is the program, the host one of its ~80 replicas, as pods are for a microservice; per-host
    //   services would leave each with too few spans to learn from. Instance also keys the clock-skew
    //   adjuster, which is right here because each host has its own counter.
    // - startRaw is a per-host monotonic ns counter, not an epoch, and not comparable across hosts. It is
    //   used as the start anyway (clock-skew then aligns hosts within a trace); durationRaw (ns) is exact.
    // - parentSpanIds holds several parents when reports join; the first is the parent, the rest links.
    // - A description starting with an exception, ERROR or Fail marks the report failed.
    // - Ids are 16 upper-case hex digits; non-hex ids would be hashed to hex (generic reader rule).
    name: 'tracebench',
    description:
      'TraceBench HDFS span CSV: scenario,label,taskId,spanId,parentSpanIds,opName,hostName,agent,...',
    columns:
      'traceId=taskId,spanId=spanId,parentId=parentSpanIds,parentSep=;,operation=opName,service=agent,' +
      'instance=hostName,start=startRaw,startUnit=ns,duration=durationRaw,durationUnit=ns,' +
      'statusMessage=description,errorMatch=^(\\w*exception|error|fail),attr.scenario=scenario,' +
      'attr.label=label,attr.host.address=hostAddress,attr.description=description',
  },
];

export function presetMapping(name: string): CsvMapping | undefined {
  const p = CSV_PRESETS.find((x) => x.name === name.toLowerCase());
  return p ? parseColumns(p.columns) : undefined;
}

/** The preset whose columns are all in `header` (presets share no distinctive header, so first wins). */
export function detectPreset(header: string[]): CsvPreset | undefined {
  const have = new Set(header);
  return CSV_PRESETS.find((p) => headersOf(parseColumns(p.columns)).every((h) => have.has(h)));
}
