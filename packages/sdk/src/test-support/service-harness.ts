import { initService, type OrraService } from '../service.js';
import type { InitServiceOptions, RegisterOptions } from '../service-options.js';
import { FakeEngine } from './fake-engine.js';
import { waitFor } from './wait-for.js';

/** A key with characters that must be URL-encoded in the WebSocket query. */
export const TEST_KEY = 'sk-orra-v1-key+with/reserved=chars&x';

/** A minimal valid schema. */
export const TEST_SCHEMA: RegisterOptions['schema'] = {
  input: { type: 'object', properties: { message: { type: 'string' } } },
  output: { type: 'object', properties: { echo: { type: 'string' } } },
};

/** Custom persistence kept in memory, with the ids it was asked to save. */
export function memoryPersistence(initial: string | null = null) {
  const store = { id: initial, saves: [] as string[] };
  return {
    store,
    opts: {
      method: 'custom' as const,
      customSave: (id: string) => {
        store.id = id;
        store.saves.push(id);
      },
      customLoad: () => store.id,
    },
  };
}

/** Matches the task_result for `key`. */
export const resultFor = (key: string) => (p: Record<string, any>) =>
  p.type === 'task_result' && p.idempotencyKey === key;

/** A fake engine plus services under test, all torn down by `stop()`. */
export class ServiceHarness {
  engine!: FakeEngine;
  private readonly cleanups: (() => unknown)[] = [];
  private execNo = 0;

  async start(): Promise<void> {
    this.engine = await new FakeEngine().start();
  }

  async stop(): Promise<void> {
    for (const fn of this.cleanups.splice(0).reverse()) await fn();
    await this.engine.stop();
  }

  /** Runs `fn` at teardown (before the engine stops). */
  onStop(fn: () => unknown): void {
    this.cleanups.push(fn);
  }

  /** A service pointed at the fake engine with fast reconnects and in-memory persistence. */
  create(overrides: Partial<InitServiceOptions> = {}): OrraService {
    const svc = initService({
      name: 'echo-svc',
      orraUrl: this.engine.url,
      orraKey: TEST_KEY,
      persistenceOpts: memoryPersistence().opts,
      reconnectBackoff: { initialDelayMs: 5, maxDelayMs: 20 },
      ...overrides,
    });
    this.onStop(() => svc.shutdown());
    return svc;
  }

  /** A registered service with its socket open. */
  async connected(
    register: Partial<RegisterOptions> = {},
    overrides: Partial<InitServiceOptions> = {},
  ): Promise<OrraService> {
    const svc = this.create(overrides);
    await svc.register({ description: 'Echoes', schema: TEST_SCHEMA, ...register });
    await waitFor(() => this.engine.openSockets === 1, 'the socket');
    return svc;
  }

  /** A task_request with a fresh execution id. */
  taskRequest(key: string, input: Record<string, unknown> = { message: 'hi' }) {
    this.execNo += 1;
    return {
      type: 'task_request',
      id: 'task1',
      input,
      executionId: `e_${this.execNo}`,
      idempotencyKey: key,
      serviceId: 's_fakeservice',
    };
  }

  /** A compensation_request with a fresh execution id. */
  compensationRequest(key: string, taskResult: unknown, originalTask: unknown = { id: 'task1' }) {
    this.execNo += 1;
    return {
      type: 'compensation_request',
      id: 'task1',
      input: { originalTask, taskResult },
      compensationContext: {
        orchestrationId: 'o_1',
        reason: 'failed',
        payload: { error: 'boom' },
        timestamp: '2026-01-01T00:00:00Z',
      },
      executionId: `e_comp_${this.execNo}`,
      idempotencyKey: key,
      serviceId: 's_fakeservice',
    };
  }
}
