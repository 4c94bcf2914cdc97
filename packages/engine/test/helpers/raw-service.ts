import WebSocket from 'ws';
import type { Api } from './api.js';

/** What a raw service answers to a task: an output, an error, or an abort with a payload. */
export type TaskAnswer = { output: unknown; compensation?: { data: unknown; ttl: number } } | { error: string } | { abort: unknown };

export interface RawServiceOptions {
  name: string;
  revertible?: boolean;
  onTask: (input: any, taskId: string) => TaskAnswer;
  /** Compensation answer: true = done, a string = the failure. Default: fails. */
  onCompensation?: (request: any) => true | string;
}

/**
 * A service speaking the WebSocket protocol directly (no SDK): registers itself, connects, and answers
 * task and compensation requests with wrapped results, as orra's SDKs do.
 */
export class RawService {
  id = '';
  private ws: WebSocket | undefined;
  private n = 0;

  constructor(
    private readonly api: Api,
    private readonly options: RawServiceOptions,
  ) {}

  async start(): Promise<this> {
    const schema = { input: { type: 'object', properties: { n: { type: 'number' } } }, output: { type: 'object', properties: { n: { type: 'number' } } } };
    const res = await this.api.post('/register/service', {
      name: this.options.name,
      description: `${this.options.name} test service`,
      schema,
      ...(this.options.revertible ? { revertible: true } : {}),
    });
    if (res.status !== 200) throw new Error(`service registration failed: ${res.status} ${JSON.stringify(res.body)}`);
    this.id = res.body.id;
    await this.connect();
    return this;
  }

  async connect(baseUrl = this.api.baseUrl): Promise<void> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws?serviceId=${this.id}&apiKey=${this.api.apiKey}`);
    ws.on('message', (data) => this.onMessage(JSON.parse(data.toString())));
    ws.on('error', () => undefined);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    this.ws = ws;
  }

  close(): void {
    this.ws?.close();
  }

  private send(payload: Record<string, unknown>): void {
    this.ws?.send(JSON.stringify({ id: `message_${++this.n}_${String(payload.executionId)}`, payload }));
  }

  private onMessage(m: any): void {
    const base = { taskId: m.id, executionId: m.executionId, serviceId: m.serviceId, idempotencyKey: m.idempotencyKey };
    if (m.type === 'task_request') {
      const answer = this.options.onTask(m.input, m.id);
      if ('error' in answer) this.send({ type: 'task_result', ...base, error: answer.error });
      else if ('abort' in answer) this.send({ type: 'task_abort_result', ...base, result: { task: answer.abort } });
      else this.send({ type: 'task_result', ...base, result: { task: answer.output, compensation: answer.compensation ?? null } });
    } else if (m.type === 'compensation_request') {
      const outcome = this.options.onCompensation?.(m) ?? 'cannot undo';
      if (outcome === true) this.send({ type: 'task_result', ...base, result: { status: 'completed' } });
      else this.send({ type: 'task_result', ...base, error: outcome });
    }
  }
}

/** A plan that runs the given services in a chain on input `{n}`. */
export function chainPlan(serviceIds: string[], n = 1) {
  return {
    action: { content: 'count' },
    plan: {
      tasks: [
        { id: 'task0', input: { n } },
        ...serviceIds.map((service, i) => ({ id: `task${i + 1}`, service, input: { n: `$task${i}.n` } })),
      ],
    },
  };
}

/**
 * Services for orchestrations that fail and cannot be undone: `step` adds one and is revertible, but its
 * undo always fails ('warehouse unreachable'); `boom` always fails. A plan of steps, then boom, ends
 * failed with one compensation.failed event per step.
 */
export async function failingUndoServices(api: Api): Promise<{ step: RawService; boom: RawService }> {
  const step = await new RawService(api, {
    name: 'step',
    revertible: true,
    onTask: (input) => ({ output: { n: input.n + 1 }, compensation: { data: { n: input.n }, ttl: 60_000 } }),
    onCompensation: () => 'warehouse unreachable',
  }).start();
  const boom = await new RawService(api, { name: 'boom', onTask: () => ({ error: 'boom' }) }).start();
  return { step, boom };
}
