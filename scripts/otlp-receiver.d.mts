import type { IncomingHttpHeaders } from 'node:http';

/** A span as the receiver decoded it (OTLP numbering for kind and status code). */
export interface ReceivedSpan {
  name: string;
  /** 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

/** One export request. */
export interface OtlpRequest {
  contentType: string;
  headers: IncomingHttpHeaders;
  resource: Record<string, unknown>;
  spans: ReceivedSpan[];
}

/** An OTLP/HTTP traces receiver on loopback, decoding http/json and http/protobuf. */
export class OtlpReceiver {
  constructor(port?: number, host?: string);
  readonly requests: OtlpRequest[];
  /** What it answers (503 plays a collector in trouble). */
  status: number;
  port: number;
  readonly host: string;
  onSpan: (span: ReceivedSpan, resource: Record<string, unknown>) => void;
  /** `http://host:port`: the value for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  listen(): Promise<this>;
  close(): Promise<void>;
}
