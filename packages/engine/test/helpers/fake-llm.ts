import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the fake answers to one request: reply text, an HTTP error, or no answer at all. */
export type FakeLlmReply = string | { status: number; body: unknown } | 'hang';

export interface ChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  temperature?: number;
}

/**
 * A local HTTP server that speaks the OpenAI chat-completions format (`POST /v1/chat/completions`), so
 * the LLM planner is tested through the real `openai` client without any network. Replies come from a
 * script, one per request, in order; the requests are recorded for assertions.
 */
export class FakeLlm {
  readonly requests: ChatRequest[] = [];
  private script: FakeLlmReply[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  url = '';

  constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  /** Sets the replies for the next requests and forgets earlier requests. */
  reply(...script: FakeLlmReply[]): void {
    this.script = script;
    this.requests.length = 0;
  }

  /** The prompt (the one user message) of request `n` (0-based). */
  prompt(n: number): string {
    return this.requests[n]?.messages.map((m) => m.content).join('\n') ?? '';
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `no route ${req.url}` } }));
      return;
    }
    const body = JSON.parse(text) as ChatRequest;
    this.requests.push(body);
    const next = this.script.shift() ?? 'hang';
    if (next === 'hang') return; // never answers; the client must time out
    if (typeof next !== 'string') {
      res.writeHead(next.status, { 'content-type': 'application/json' }).end(JSON.stringify(next.body));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: `chatcmpl-${this.requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: next }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
      }),
    );
  }
}

/** A reply the way models write it: some thinking, then the plan in a ```json block. */
export const planReply = (plan: unknown): string =>
  `<think>The user wants a plan. Let me look at the services.</think>\nHere is the plan:\n\`\`\`json\n${JSON.stringify(plan, null, 2)}\n\`\`\``;
