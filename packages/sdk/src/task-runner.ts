import type {
  CompensationContext,
  CompensationRequest,
  SdkPayload,
  TaskRequest,
  TaskResultPayload,
} from '@orra/protocol';
import { describeFrameOverflow, frameOverflowBytes } from '@orra/protocol';
import { ServiceShutdownError, TaskAbortedError } from './errors.js';
import type { RunTraced } from './handler-tracing.js';
import type { IdempotencyCache } from './idempotency-cache.js';
import type { Logger } from './logger.js';
import { toCompensationOutcome, type RevertResult } from './revert-result.js';

/** The task a handler receives: the engine's `task_request` plus two controls. */
export type ServiceTask<TInput = Record<string, any>> = Omit<TaskRequest, 'input'> & {
  input: TInput;
  /** Sends a progress update (`task_interim_result`); it shows in the inspect view. */
  pushUpdate(update: unknown): Promise<void>;
  /**
   * Aborts the orchestration with `payload` (`task_abort_result`), then rejects with
   * `TaskAbortedError` so the handler stops there. No task result is sent for an aborted task.
   */
  abort(payload?: unknown): Promise<never>;
};

/** Runs one task; its resolved value is the task's output, a throw fails the task. */
export type TaskHandler<TInput = Record<string, any>, TOutput = unknown> = (
  task: ServiceTask<TInput>,
) => TOutput | Promise<TOutput>;

/**
 * Undoes a completed task. `originalTask` is the full original `task_request`, `taskResult` its output,
 * `context` says why (`{orchestrationId, reason, payload?, timestamp}`).
 */
export type RevertHandler<TInput = Record<string, any>, TOutput = any> = (
  originalTask: Omit<TaskRequest, 'input'> & { input: TInput },
  taskResult: TOutput,
  context: CompensationContext | null,
) => RevertResult | Promise<RevertResult>;

/** Requests kept between register() and start(); past this the oldest go (the engine re-sends them). */
const MAX_EARLY_REQUESTS = 1000;

/** What the runner needs from the service around it. */
export interface TaskRunnerOptions {
  send(payload: SdkPayload): void;
  cache: IdempotencyCache;
  logger: Logger;
  serviceId(): string;
  compensation(): { revertible: boolean; ttlMs: number };
  isShutdown(): boolean;
  /** Runs a handler (inside a span when the service has a tracer). */
  runTraced?: RunTraced;
}

type Request = Pick<TaskRequest, 'id' | 'executionId' | 'idempotencyKey'>;

/**
 * Runs task and compensation requests exactly once per idempotency key: a completed key is answered
 * from the cache, a running key with `task_status: in_progress`, an aborted key not at all.
 */
export class TaskRunner {
  private taskHandler: TaskHandler<any, unknown> | undefined;
  private revertHandler: RevertHandler<any, any> | undefined;
  /** Requests that arrived between `register()` (which connects) and `start()`; run by `start()`. */
  private early: Record<string, unknown>[] = [];

  constructor(private readonly options: TaskRunnerOptions) {}

  /** Installs the task handler and runs the requests that arrived before it. */
  setTaskHandler(handler: TaskHandler<any, unknown>): void {
    this.taskHandler = handler;
    const early = this.early;
    this.early = [];
    for (const message of early) this.handle(message);
  }

  /** Installs the revert handler. */
  setRevertHandler(handler: RevertHandler<any, any>): void {
    this.revertHandler = handler;
  }

  /** True once a revert handler is installed. */
  get hasRevertHandler(): boolean {
    return this.revertHandler !== undefined;
  }

  /** Routes one engine message (everything except ACK and ping). */
  handle(message: Record<string, unknown>): void {
    if (message.type !== 'task_request' && message.type !== 'compensation_request') {
      this.options.logger.warn('ignoring unknown message type', { type: message.type });
      return;
    }
    if (
      typeof message.id !== 'string' ||
      typeof message.executionId !== 'string' ||
      typeof message.idempotencyKey !== 'string'
    ) {
      this.options.logger.warn('ignoring a malformed request', { type: message.type });
      return;
    }
    // orra's SDK drops requests that arrive before start(), and the engine sends them again only when
    // the attempt times out (30 s by default): a service that connects in register() and starts a moment
    // later would lose its first task for that long. Keep them for start() instead, a bounded number.
    if (!this.taskHandler) {
      if (this.early.length >= MAX_EARLY_REQUESTS) {
        const dropped = this.early.shift()!;
        this.options.logger.warn('too many requests before start(); the oldest is dropped and will be re-sent', {
          taskId: dropped.id,
        });
      }
      this.options.logger.debug('request before start(), kept until start()', {
        type: message.type,
        taskId: message.id,
      });
      this.early.push(message);
      return;
    }
    if (!this.answeredFromCache(message as unknown as Request)) {
      if (message.type === 'task_request') this.runTask(message as unknown as TaskRequest, this.taskHandler);
      else this.runCompensation(message as unknown as CompensationRequest);
    }
  }

  private answeredFromCache(req: Request): boolean {
    const entry = this.options.cache.get(req.idempotencyKey);
    if (!entry) return false;
    if (entry.state === 'completed') {
      this.options.logger.debug('answering from the idempotency cache', { taskId: req.id });
      this.sendResult(req, entry.result as TaskResultPayload['result'], null);
    } else if (entry.state === 'in_progress') {
      this.send(req, { type: 'task_status', status: 'in_progress' });
    } else {
      this.options.logger.debug('request for an aborted task, ignored', { taskId: req.id });
    }
    return true;
  }

  private runTask(req: TaskRequest, handler: TaskHandler<any, unknown>): void {
    const key = req.idempotencyKey;
    // A snapshot taken before the handler runs: it may mutate `task.input`, but the compensation data
    // must describe the request as the engine sent it.
    const originalTask = structuredClone(req);
    let settled = false;
    let aborted = false;
    const guard = (action: string): void => {
      if (this.options.isShutdown()) throw new ServiceShutdownError(action);
      if (settled) throw new Error(`cannot ${action}: task ${req.id} has already finished`);
    };
    const task: ServiceTask = {
      ...req,
      pushUpdate: async (update) => {
        guard('push an update');
        this.send(req, { type: 'task_interim_result', result: { task: update } });
      },
      abort: async (payload) => {
        guard('abort');
        if (!aborted) {
          aborted = true;
          this.options.cache.abort(key);
          this.send(req, { type: 'task_abort_result', result: { task: payload ?? null } });
        }
        throw new TaskAbortedError(payload);
      },
    };
    this.options.cache.begin(key);
    Promise.resolve()
      .then(() => this.traced(req, 'task', () => handler(task)))
      .then(
        (output) => {
          settled = true;
          if (aborted) return; // the handler caught TaskAbortedError and returned: still aborted
          const { revertible, ttlMs } = this.options.compensation();
          const result = {
            // `task` must be present: the engine reads the output from it, and undefined would drop the key.
            task: output ?? null,
            compensation: revertible
              ? { data: { originalTask, taskResult: output ?? null }, ttl: ttlMs }
              : null,
          };
          this.options.cache.complete(key, result);
          this.sendResult(req, result, null);
        },
        (err: unknown) => {
          settled = true;
          if (aborted) return;
          this.options.cache.fail(key);
          this.options.logger.debug('task handler failed', { taskId: req.id, error: errorMessage(err) });
          this.sendResult(req, null, errorMessage(err));
        },
      );
  }

  private traced(req: TaskRequest | CompensationRequest, kind: 'task' | 'compensation', run: () => unknown): unknown {
    return this.options.runTraced ? this.options.runTraced(req, kind, run) : run();
  }

  private runCompensation(req: CompensationRequest): void {
    const handler = this.revertHandler;
    if (!handler) {
      this.sendResult(req, null, 'onRevert handler is missing');
      return;
    }
    const key = req.idempotencyKey;
    const data = (req.input ?? {}) as { originalTask?: unknown; taskResult?: unknown };
    this.options.cache.begin(key);
    Promise.resolve()
      .then(() =>
        this.traced(req, 'compensation', () =>
          handler(data.originalTask as TaskRequest, data.taskResult, req.compensationContext ?? null),
        ),
      )
      .then(
        (returned) => {
          const outcome = toCompensationOutcome(returned);
          // A failed compensation is not cached: the engine's next attempt must run the handler again.
          if (outcome.error === null) this.options.cache.complete(key, outcome.result);
          else this.options.cache.fail(key);
          this.sendResult(req, outcome.result, outcome.error);
        },
        (err: unknown) => {
          this.options.cache.fail(key);
          this.sendResult(req, null, errorMessage(err));
        },
      );
  }

  private sendResult(req: Request, result: TaskResultPayload['result'], error: string | null): void {
    this.send(req, { type: 'task_result', result, error });
  }

  private send(
    req: Request,
    body:
      | Pick<TaskResultPayload, 'type' | 'result' | 'error'>
      | { type: 'task_status'; status: string }
      | { type: 'task_interim_result' | 'task_abort_result'; result: { task: unknown } },
  ): void {
    const { type, ...fields } = body;
    // Field order as orra's SDK writes it: type, ids, then the result.
    const payload = {
      type,
      taskId: req.id,
      executionId: req.executionId,
      serviceId: this.options.serviceId(),
      idempotencyKey: req.idempotencyKey,
      ...fields,
    } as SdkPayload;
    const overflow = body.type === 'task_status' ? undefined : frameOverflowBytes(payload);
    if (overflow === undefined) return this.options.send(payload);
    // The engine's socket would close on a frame this large (1009), the SDK would reconnect and send it
    // again, for ever. A result becomes the task's failure instead (not cached: a retry runs the handler
    // again); an interim or abort payload is dropped with a warning.
    const problem = `the ${body.type === 'task_result' ? 'result' : body.type} is ${describeFrameOverflow(overflow)}`;
    this.options.logger.warn('message too large to send', { taskId: req.id, type: body.type, bytes: overflow });
    if (body.type !== 'task_result') return;
    this.options.cache.fail(req.idempotencyKey);
    this.options.send({ ...payload, result: null, error: `${problem}; return a reference to the data instead` } as SdkPayload);
  }
}

/** A non-empty error text: the engine treats an empty `error` as success. */
function errorMessage(err: unknown): string {
  if (err instanceof Error && err.message) return err.message;
  const text = String(err);
  return text === '' ? 'task handler failed without a message' : text;
}
