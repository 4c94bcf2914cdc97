#!/usr/bin/env node
// A small OTLP/HTTP traces receiver (POST /v1/traces), decoding both `http/json` and `http/protobuf`.
// The engine's tracing tests use it as their collector; run as a program it is the local collector of
// docs/tracing.md's walk-through, printing one JSON line per span:
//
//     node scripts/otlp-receiver.mjs [port]        (default 4318, the standard OTLP/HTTP port)
//
// Not a production collector: it keeps what it receives in memory and answers every export at once.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

/** A receiver on loopback. `status` is what it answers (503 plays a collector in trouble). */
export class OtlpReceiver {
  /** @type {import('./otlp-receiver.d.mts').OtlpRequest[]} */
  requests = [];
  status = 200;
  /** Called with each span as it arrives. */
  onSpan = () => {};
  #server;
  #sockets = new Set();

  constructor(port = 0, host = '127.0.0.1') {
    this.port = port;
    this.host = host;
  }

  get endpoint() {
    return `http://${this.host}:${this.port}`;
  }

  get spans() {
    return this.requests.flatMap((r) => r.spans);
  }

  async listen() {
    const server = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const contentType = String(req.headers['content-type'] ?? '');
        const isJson = contentType.includes('json');
        if (req.method !== 'POST' || req.url !== '/v1/traces') return void res.writeHead(404).end();
        if (this.status !== 200) return void res.writeHead(this.status, { 'content-type': 'text/plain' }).end('unavailable');
        let decoded;
        try {
          decoded = isJson ? decodeJson(body) : decodeProtobuf(body);
        } catch (err) {
          return void res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
        }
        this.requests.push({ contentType, headers: req.headers, ...decoded });
        for (const span of decoded.spans) this.onSpan(span, decoded.resource);
        if (isJson) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.alloc(0));
      });
    });
    server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, resolve);
    });
    this.port = server.address().port;
    this.#server = server;
    return this;
  }

  /** Takes it away entirely: connections are refused from now on. */
  async close() {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    for (const s of this.#sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

// ---- http/json -----------------------------------------------------------------------------------

const jsonValue = (v) => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
const jsonAttrs = (kvs) => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, jsonValue(kv.value ?? {})]));
/** OTLP/JSON writes ids as hex (as the specification says) and times as decimal nanoseconds. */
const nanosToMs = (n) => Number(BigInt(n) / 1000n) / 1000;

function decodeJson(body) {
  const doc = JSON.parse(body.toString());
  const spans = [];
  let resource = {};
  for (const rs of doc.resourceSpans ?? []) {
    resource = jsonAttrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          name: s.name,
          kind: s.kind ?? 0,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          startMs: nanosToMs(s.startTimeUnixNano),
          endMs: nanosToMs(s.endTimeUnixNano),
          attributes: jsonAttrs(s.attributes),
          links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
          statusCode: s.status?.code ?? 0,
        });
      }
    }
  }
  return { resource, spans };
}

// ---- http/protobuf: just enough of the wire format for opentelemetry/proto/trace/v1 ---------------

function fields(buf) {
  const out = [];
  let i = 0;
  const varint = () => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated protobuf varint');
      const b = buf[i++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, varint: varint() });
    else if (wire === 1) out.push({ no, fixed: buf.subarray(i, (i += 8)) });
    else if (wire === 5) out.push({ no, fixed: buf.subarray(i, (i += 4)) });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, bytes: buf.subarray(i, (i += len)) });
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

const all = (fs, no) => fs.filter((f) => f.no === no);
const one = (fs, no) => fs.find((f) => f.no === no);
const text = (f) => f?.bytes?.toString('utf8') ?? '';
const hex = (f) => f?.bytes?.toString('hex') ?? '';
const EMPTY = Buffer.alloc(0);

/** AnyValue: 1 string, 2 bool, 3 int64, 4 double. */
function anyValue(buf) {
  const f = fields(buf)[0];
  if (!f) return undefined;
  if (f.no === 1) return text(f);
  if (f.no === 2) return f.varint === 1n;
  if (f.no === 3) return Number(BigInt.asIntN(64, f.varint));
  if (f.no === 4) return f.fixed.readDoubleLE(0);
  return undefined;
}

/** KeyValue: 1 key, 2 value. */
const pbAttrs = (kvs) =>
  Object.fromEntries(
    kvs.map((kv) => {
      const f = fields(kv.bytes);
      return [text(one(f, 1)), anyValue(one(f, 2)?.bytes ?? EMPTY)];
    }),
  );

const fixedMs = (f) => (f ? Number(f.fixed.readBigUInt64LE(0) / 1000n) / 1000 : 0);

/**
 * ExportTraceServiceRequest{1 resource_spans} → ResourceSpans{1 resource{1 attributes}, 2 scope_spans} →
 * ScopeSpans{2 spans} → Span{1 trace_id, 2 span_id, 4 parent_span_id, 5 name, 6 kind, 7 start, 8 end,
 * 9 attributes, 13 links{1 trace_id, 2 span_id}, 15 status{3 code}}.
 */
function decodeProtobuf(body) {
  const spans = [];
  let resource = {};
  for (const rs of all(fields(body), 1)) {
    const rsf = fields(rs.bytes);
    resource = pbAttrs(all(fields(one(rsf, 1)?.bytes ?? EMPTY), 1));
    for (const ss of all(rsf, 2)) {
      for (const sp of all(fields(ss.bytes), 2)) {
        const f = fields(sp.bytes);
        const status = one(f, 15);
        spans.push({
          name: text(one(f, 5)),
          kind: Number(one(f, 6)?.varint ?? 0n),
          traceId: hex(one(f, 1)),
          spanId: hex(one(f, 2)),
          parentSpanId: hex(one(f, 4)),
          startMs: fixedMs(one(f, 7)),
          endMs: fixedMs(one(f, 8)),
          attributes: pbAttrs(all(f, 9)),
          links: all(f, 13).map((l) => {
            const lf = fields(l.bytes);
            return { traceId: hex(one(lf, 1)), spanId: hex(one(lf, 2)) };
          }),
          statusCode: status ? Number(one(fields(status.bytes), 3)?.varint ?? 0n) : 0,
        });
      }
    }
  }
  return { resource, spans };
}

// ---- as a program --------------------------------------------------------------------------------

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const port = Number(process.argv[2] ?? 4318);
  const receiver = new OtlpReceiver(port);
  receiver.onSpan = (s, resource) => {
    const line = {
      service: resource['service.name'],
      name: s.name,
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      durationMs: Math.round((s.endMs - s.startMs) * 1000) / 1000,
      attributes: s.attributes,
      ...(s.links.length > 0 ? { links: s.links } : {}),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };
  await receiver.listen();
  process.stderr.write(`OTLP receiver listening on ${receiver.endpoint}/v1/traces\n`);
  const stop = () => void receiver.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
