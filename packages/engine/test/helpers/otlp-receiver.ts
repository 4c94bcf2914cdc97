import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { SpanView } from './span-tree.js';

/** One export request as the receiver decoded it. */
export interface OtlpRequest {
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
  resource: Record<string, unknown>;
  spans: SpanView[];
}

/**
 * A real OTLP/HTTP traces receiver on loopback (`POST /v1/traces`), decoding both `http/json` and
 * `http/protobuf` into SpanViews. `status` is what it answers (503 to play a collector in trouble);
 * `close()` takes it away entirely (connection refused).
 */
export class OtlpReceiver {
  readonly requests: OtlpRequest[] = [];
  status = 200;
  port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  constructor(port = 0) {
    this.port = port;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get spans(): SpanView[] {
    return this.requests.flatMap((r) => r.spans);
  }

  async listen(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const contentType = String(req.headers['content-type'] ?? '');
        if (req.method !== 'POST' || req.url !== '/v1/traces') {
          res.writeHead(404).end();
          return;
        }
        if (this.status !== 200) {
          res.writeHead(this.status, { 'content-type': 'text/plain' }).end('unavailable');
          return;
        }
        const decoded = contentType.includes('json') ? decodeJson(body) : decodeProtobuf(body);
        this.requests.push({ contentType, headers: req.headers, ...decoded });
        if (contentType.includes('json')) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.alloc(0));
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const s of this.sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
}

// ---- http/json -----------------------------------------------------------------------------------

type JsonValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type JsonKv = { key: string; value: JsonValue };

const jsonValue = (v: JsonValue): unknown =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
const jsonAttrs = (kvs: JsonKv[] | undefined) => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, jsonValue(kv.value)]));
/** OTLP/JSON writes ids as hex (per the spec) and times as decimal strings of nanoseconds. */
const nanosToMs = (n: string | number) => Number(BigInt(n) / 1000n) / 1000;

function decodeJson(body: Buffer): Omit<OtlpRequest, 'contentType' | 'headers'> {
  const doc = JSON.parse(body.toString()) as {
    resourceSpans: { resource?: { attributes?: JsonKv[] }; scopeSpans: { spans?: any[] }[] }[];
  };
  const spans: SpanView[] = [];
  let resource: Record<string, unknown> = {};
  for (const rs of doc.resourceSpans) {
    resource = jsonAttrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans ?? []) {
        spans.push({
          name: s.name,
          kind: s.kind,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          startMs: nanosToMs(s.startTimeUnixNano),
          endMs: nanosToMs(s.endTimeUnixNano),
          attributes: jsonAttrs(s.attributes),
          links: (s.links ?? []).map((l: any) => ({ traceId: l.traceId, spanId: l.spanId })),
          statusCode: s.status?.code ?? 0,
        });
      }
    }
  }
  return { resource, spans };
}

// ---- http/protobuf: just enough of the wire format for opentelemetry/proto/trace/v1 ---------------

type Field = { no: number; wire: number; varint?: bigint; bytes?: Buffer; fixed?: Buffer };

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, varint: varint() });
    else if (wire === 1) out.push({ no, wire, fixed: buf.subarray(i, (i += 8)) });
    else if (wire === 5) out.push({ no, wire, fixed: buf.subarray(i, (i += 4)) });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, wire, bytes: buf.subarray(i, (i += len)) });
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

const all = (fs: Field[], no: number) => fs.filter((f) => f.no === no);
const one = (fs: Field[], no: number) => fs.find((f) => f.no === no);
const text = (f: Field | undefined) => f?.bytes?.toString('utf8') ?? '';
const hex = (f: Field | undefined) => f?.bytes?.toString('hex') ?? '';

/** AnyValue: 1 string, 2 bool, 3 int64, 4 double. */
function anyValue(buf: Buffer): unknown {
  const f = fields(buf)[0];
  if (!f) return undefined;
  if (f.no === 1) return text(f);
  if (f.no === 2) return f.varint === 1n;
  if (f.no === 3) return Number(BigInt.asIntN(64, f.varint!));
  if (f.no === 4) return f.fixed!.readDoubleLE(0);
  return undefined;
}

/** KeyValue: 1 key, 2 value. */
const pbAttrs = (kvs: Field[]) =>
  Object.fromEntries(
    kvs.map((kv) => {
      const f = fields(kv.bytes!);
      return [text(one(f, 1)), anyValue(one(f, 2)?.bytes ?? Buffer.alloc(0))];
    }),
  );

/**
 * ExportTraceServiceRequest{1 resource_spans} → ResourceSpans{1 resource{1 attributes}, 2 scope_spans} →
 * ScopeSpans{2 spans} → Span{1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 7 start, 8 end,
 * 9 attributes, 13 links{1 trace_id, 2 span_id}, 15 status{3 code}}.
 */
function decodeProtobuf(body: Buffer): Omit<OtlpRequest, 'contentType' | 'headers'> {
  const spans: SpanView[] = [];
  let resource: Record<string, unknown> = {};
  for (const rs of all(fields(body), 1)) {
    const rsf = fields(rs.bytes!);
    resource = pbAttrs(all(fields(one(rsf, 1)?.bytes ?? Buffer.alloc(0)), 1));
    for (const ss of all(rsf, 2)) {
      for (const sp of all(fields(ss.bytes!), 2)) {
        const f = fields(sp.bytes!);
        const status = one(f, 15);
        spans.push({
          name: text(one(f, 5)),
          kind: Number(one(f, 6)?.varint ?? 0n),
          traceId: hex(one(f, 1)),
          spanId: hex(one(f, 2)),
          parentSpanId: hex(one(f, 4)),
          startMs: Number(one(f, 7)!.fixed!.readBigUInt64LE(0) / 1000n) / 1000,
          endMs: Number(one(f, 8)!.fixed!.readBigUInt64LE(0) / 1000n) / 1000,
          attributes: pbAttrs(all(f, 9)),
          links: all(f, 13).map((l) => {
            const lf = fields(l.bytes!);
            return { traceId: hex(one(lf, 1)), spanId: hex(one(lf, 2)) };
          }),
          statusCode: status ? Number(one(fields(status.bytes!), 3)?.varint ?? 0n) : 0,
        });
      }
    }
  }
  return { resource, spans };
}
