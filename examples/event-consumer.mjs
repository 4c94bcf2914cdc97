#!/usr/bin/env node
/* global fetch, TextDecoder -- Node 20 globals the shared .mjs lint config does not list */
// A consumer of the engine's event stream (docs/events.md) that never misses or repeats an event, across
// its own restarts (even kill -9) and the engine's.
//
//   ORRA_URL=http://127.0.0.1:8005 ORRA_API_KEY=sk-orra-v1-… node examples/event-consumer.mjs events.jsonl
//
// It appends each event, one JSON line, to the output file and fsyncs it: the file is both the result and
// the cursor (its last complete line's sequence), so "processed" and "cursor stored" can never disagree.
// On start it drops a torn last line (a crash mid-write), then follows GET /events/stream with
// Last-Event-ID, reconnecting after any disconnect. It checks that every sequence is exactly one more
// than the last (it reads the whole log, unfiltered, so a jump would be a lost event) and stops if not.
// No dependencies: Node 20's fetch.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';

const url = process.env.ORRA_URL ?? 'http://127.0.0.1:8005';
const apiKey = process.env.ORRA_API_KEY;
const file = process.argv[2] ?? 'events.jsonl';
if (!apiKey) {
  console.error('event-consumer: set ORRA_API_KEY to a project API key');
  process.exit(2);
}

/** The last sequence in the file, after dropping a torn last line. */
function resume() {
  if (!existsSync(file)) return 0;
  const text = readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) truncateSync(file, end); // a line cut short by a crash: not processed
  const lines = text.slice(0, end).split('\n').filter(Boolean);
  return lines.length === 0 ? 0 : Number(JSON.parse(lines.at(-1)).sequence);
}

let last = resume();
const fd = openSync(file, 'a');
process.on('exit', () => closeSync(fd));

function processEvent(envelope) {
  const sequence = Number(envelope.sequence);
  if (sequence <= last) return; // already in the file (cannot happen with Last-Event-ID; cheap to check)
  if (sequence !== last + 1) {
    console.error(`event-consumer: sequence jumped from ${last} to ${sequence}: events were lost`);
    process.exit(3);
  }
  writeSync(fd, `${JSON.stringify({ sequence: envelope.sequence, id: envelope.id, type: envelope.type, subject: envelope.subject })}\n`);
  fsyncSync(fd);
  last = sequence;
}

/** Follows the stream until it ends; returns normally on a disconnect, exits on what a retry cannot fix. */
async function follow() {
  const res = await fetch(`${url}/events/stream`, {
    headers: { authorization: `Bearer ${apiKey}`, 'last-event-id': String(last).padStart(20, '0') },
  });
  if (res.status === 410) {
    const { error } = await res.json();
    console.error(`event-consumer: events after ${last} were deleted by retention (oldest cursor ${error.oldest_cursor}); resync first`);
    process.exit(4);
  }
  if (res.status === 401 || res.status === 400) {
    console.error(`event-consumer: ${res.status} ${await res.text()}`);
    process.exit(2);
  }
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  console.log(`event-consumer: following ${url} after ${last}`);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let data = '';
      for (const line of frame.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data += line.slice(5).trim();
      }
      if (event === 'close') console.log(`event-consumer: the engine closed the stream: ${data}`);
      else if (event !== 'bookmark' && data) processEvent(JSON.parse(data));
    }
  }
}

for (;;) {
  try {
    await follow();
  } catch (err) {
    console.log(`event-consumer: disconnected (${err.cause?.code ?? err.message}); reconnecting`);
  }
  await new Promise((r) => setTimeout(r, 500));
}
