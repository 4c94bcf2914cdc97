import {
  describeFrameOverflow,
  formatGoDuration,
  frameOverflowBytes,
  newExecutionId,
  shortId,
  type SdkPayload,
  type TaskRequest,
} from '@orra/protocol';
import type { ProgressNotice } from '../events/progress-signal.js';
import type { Logger } from '../logging/logger.js';
import type { Repos, Store, TaskRecord } from '../storage/store.js';
import { Tracing } from '../tracing/tracing.js';
import { TimerQueue } from '../timers/timer-queue.js';
import { isFailureAnswer, judgeAnswer, type WorkPhase } from '../answers/judge-answer.js';
import { lateAnswerEntry } from '../answers/late-answer-entry.js';
import { logRefusedAnswer } from '../answers/refused-answer.js';
import { backoffMs } from './backoff.js';
import { taskIdempotencyKey } from './idempotency-key.js';
import { collectReferences, resolveInput } from './references.js';
import type { ServiceConnections } from './service-connections.js';
import { Step, type LiveOrchestration } from './step.js';

export interface RunnerOptions {
  taskMaxAttempts: number;
  taskBackoffMs: number;
  taskBackoffCapMs: number;
  now?: () => number;
  tracing?: Tracing;
  /** Told after each committed step that changed the orchestration or a task (event streams' progress notices). */
  onProgress?: (projectId: string, notice: ProgressNotice) => void;
  /** Told when a task waits for a service that is away, and when a service connects (services/service-health-watch.ts). */
  health?: {
    taskWaiting(projectId: string, serviceId: string, since: number): void;
    serviceConnected(serviceId: string): void;
  };
}

/** What a process taking a dead one's work over already knows (cluster/). */
export interface TakenOver {
  /** The orchestrations' tasks, read from storage. */
  tasks?: ReadonlyMap<string, TaskRecord[]>;
  /** Execution id → socket id, for attempts still out with a live engine process: not sent again. */
  attemptsOut?: ReadonlyMap<string, string>;
}

/** The first step of a new orchestration, committed by its creator's transaction (`startWithin`). */
export interface FirstStep {
  write(tx: Repos): Promise<void>;
  committed(): void;
  abandon(): void;
}

/** Hooks run when an orchestration reaches a final state, inside its finalising step (compensation, webhooks). */
export type FinalizeHook = (step: Step) => void;

interface TaskRef {
  orchestrationId: string;
  taskId: string;
}

/**
 * Runs orchestrations as dataflow, driven by events only: a result arrives, a socket opens or closes,
 * a timer fires. Each event becomes one Step per orchestration, committed before any message is sent,
 * so a crash at any point leaves storage describing work that can be resumed.
 */
export class OrchestrationRunner {
  private readonly live = new Map<string, LiveOrchestration>();
  /** Idempotency key → task, for tasks that may still receive a result. */
  private readonly byKey = new Map<string, TaskRef>();
  /** Service id → paused tasks waiting for one of its sockets. */
  private readonly waiting = new Map<string, Map<string, TaskRef>>();
  private readonly timers: TimerQueue;
  private readonly now: () => number;
  private readonly finalizeHooks: FinalizeHook[] = [];
  private readonly tracing: Tracing;
  private isStopped = false;

  constructor(
    private readonly store: Store,
    private readonly connections: ServiceConnections,
    private readonly log: Logger,
    private readonly options: RunnerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.tracing = options.tracing ?? Tracing.off();
    this.timers = new TimerQueue(this.now);
  }

  onFinalize(hook: FinalizeHook): void {
    this.finalizeHooks.push(hook);
  }

  /** Number of orchestrations in flight in this process. */
  get inFlightCount(): number {
    return this.live.size;
  }

  /** Loads every in-flight orchestration from storage and carries on with it (restart = resume). */
  async resumeAll(): Promise<number> {
    return this.resume(await this.store.orchestrations.listInFlight());
  }

  /**
   * Carries on with the given in-flight orchestrations, read from storage: all of them after a restart,
   * or those of a dead engine process this one has just claimed (cluster/). Ones already here are skipped.
   */
  async resume(records: LiveOrchestration['record'][], taken: TakenOver = {}): Promise<number> {
    let resumed = 0;
    for (const record of records) {
      if (this.live.has(record.id)) continue;
      resumed += 1;
      const tasks = taken.tasks?.get(record.id) ?? (await this.store.tasks.listByOrchestration(record.id));
      const live = this.adopt(record, tasks);
      this.tracing.resumed(record, this.now());
      await this.enqueue(live, (step) => {
        for (const task of live.tasks.values()) {
          const socketId = task.executionId ? taken.attemptsOut?.get(task.executionId) : undefined;
          if (task.state === 'processing' && socketId) this.keepWaiting(step, task, socketId);
          // The engine's own sockets do not survive it: tasks that were out are paused until their service
          // reconnects, then re-sent with the same idempotency key; the service answers the new request
          // `in_progress` and the outcome comes under the first one's execution id.
          else if (task.state === 'processing') this.pause(step, task, 'engine restarted; waiting for the service to reconnect');
          else if (task.state === 'paused') this.pause(step, task, undefined);
          else if (task.state === 'retry_wait') this.armRetry(step, task);
        }
        this.advance(step);
      });
    }
    return resumed;
  }

  /** True while the orchestration is in flight in this process. */
  isRunning(orchestrationId: string): boolean {
    return this.live.has(orchestrationId);
  }

  /** True while a task with this idempotency key is in flight here (it may still receive a result). */
  owns(idempotencyKey: string): boolean {
    return this.byKey.has(idempotencyKey);
  }

  /**
   * Starts a new orchestration whose first step commits in the transaction that stores it (one commit,
   * one fsync, instead of two before its first task can be sent). The step is worked out now, in memory;
   * the caller writes it with `write(tx)` after the orchestration's own rows, then calls `committed()`
   * once that transaction has committed (its effects — sending the first tasks — run then, never before),
   * or `abandon()` when it did not commit. `write` may run more than once (a PostgreSQL transaction that
   * lost a conflict runs again): it only writes state computed here. Work queued on the orchestration
   * meanwhile waits for `committed`/`abandon`.
   */
  startWithin(record: LiveOrchestration['record'], tasks: TaskRecord[]): FirstStep {
    const live = this.adopt(record, tasks);
    const step = new Step(live, this.now());
    if (!this.isStopped) this.advance(step);
    let settle: () => void = () => undefined;
    live.chain = new Promise<void>((resolve) => (settle = resolve));
    return {
      write: (tx) => (step.isEmpty ? Promise.resolve() : step.write(tx)),
      committed: () => {
        this.afterCommit(step);
        settle();
      },
      abandon: () => {
        this.forget(live);
        settle();
      },
    };
  }

  /**
   * A message from a service socket for a task in flight here. Resolves once its effect is committed
   * (then the hub ACKs it), with false when no task here waits on its key any more: the caller then
   * treats it as an answer for ended work (answers/unowned-answers.ts), which reads storage.
   */
  async handlePayload(socketServiceId: string, payload: SdkPayload): Promise<boolean> {
    if (payload.type === 'pong') return true;
    const ref = payload.idempotencyKey ? this.byKey.get(payload.idempotencyKey) : undefined;
    const live = ref && this.live.get(ref.orchestrationId);
    const task = live?.tasks.get(ref!.taskId);
    if (!live || !task) return false;
    // Stays false when the orchestration ended before this runs (the step is then skipped).
    let isHandled = false;
    await this.enqueue(live, (step) => {
      if (live.isFinal || taskPhase(task) === 'ended') return; // storage has the outcome now
      isHandled = true;
      const verdict = judgeAnswer({ serviceId: task.serviceId, phase: taskPhase(task) }, socketServiceId, payload);
      switch (verdict.action) {
        case 'refuse':
          logRefusedAnswer(this.log, socketServiceId, payload, verdict.reason);
          return;
        case 'ignore':
          return;
        case 'late':
          this.log.warn(
            { orchestrationId: task.orchestrationId, taskId: task.taskId, serviceId: socketServiceId, executionId: payload.executionId },
            'late answer recorded',
          );
          step.journal.push(
            lateAnswerEntry({ orchestrationId: task.orchestrationId, taskId: task.taskId, of: 'task' }, socketServiceId, payload, {
              reason: verdict.reason,
              disposition: 'recorded',
              attempt: task.attempts,
              at: step.now,
            }),
          );
          return;
        case 'accept':
          break;
      }
      switch (payload.type) {
        case 'task_result':
          if (isFailureAnswer(payload)) {
            // Whatever execution id it carries, it is the outcome of the attempt out (a re-sent request is
            // answered `in_progress`, and the run that did the work answers under its own id).
            this.tracing.taskAttemptEnded(task, 'failed', 'task_error');
            this.failAttempt(step, task, payload.error as string);
          } else {
            const result = (payload.result ?? {}) as { task?: unknown; compensation?: { data: unknown; ttl: number } | null };
            this.complete(step, task, result.task ?? null, result.compensation ?? null);
          }
          break;
        case 'task_interim_result':
          step.entry({
            type: 'task_interim_output',
            entryId: `interim_${task.taskId}_${shortId()}`,
            taskId: task.taskId,
            producerId: task.serviceId,
            value: payload.result?.task ?? null,
            attempt: task.attempts,
          });
          break;
        case 'task_abort_result':
          this.abort(step, task, payload.result?.task ?? null);
          break;
        case 'task_status':
          break;
      }
    });
    return isHandled;
  }

  /**
   * An operator aborts an orchestration in flight: it ends `aborted` with `payload` as its abort reason,
   * tasks not yet started never start, and results of tasks still out are ignored. False when it is not
   * in flight here.
   */
  async abortOrchestration(orchestrationId: string, payload: unknown): Promise<boolean> {
    const live = this.live.get(orchestrationId);
    if (!live) return false;
    let isAborted = false;
    await this.enqueue(live, (step) => {
      isAborted = true;
      this.finalize(step, 'aborted', { abortReason: payload });
    });
    return isAborted;
  }

  /** True while tasks here are paused waiting for a socket of the service. */
  isWaitingFor(serviceId: string): boolean {
    return (this.waiting.get(serviceId)?.size ?? 0) > 0;
  }

  /** A socket of the service opened: paused tasks waiting for it are sent now. */
  onServiceConnected(serviceId: string): void {
    this.options.health?.serviceConnected(serviceId);
    const refs = this.waiting.get(serviceId);
    if (!refs) return;
    this.waiting.delete(serviceId);
    for (const ref of refs.values()) {
      const live = this.live.get(ref.orchestrationId);
      const task = live?.tasks.get(ref.taskId);
      if (!live || !task) continue;
      void this.enqueue(live, (step) => {
        if (task.state === 'paused') this.dispatch(step, task);
      });
    }
  }

  /** A socket closed: its in-flight tasks go to another socket of the service, or pause. */
  onSocketClosed(serviceId: string, socketId: string): void {
    for (const live of this.live.values()) {
      for (const [taskId, sentTo] of live.sentTo) {
        if (sentTo !== socketId) continue;
        const task = live.tasks.get(taskId);
        if (!task || task.serviceId !== serviceId) continue;
        void this.enqueue(live, (step) => {
          if (task.state === 'processing' && live.sentTo.get(taskId) === socketId) this.dispatch(step, task);
        });
      }
    }
  }

  /** Stops timers and takes no further events; in-flight work stays in storage for the next start. */
  async stop(): Promise<void> {
    this.isStopped = true;
    this.timers.clearAll();
    await Promise.all([...this.live.values()].map((l) => l.chain));
  }

  // ---- steps -------------------------------------------------------------------------------------

  private adopt(record: LiveOrchestration['record'], tasks: TaskRecord[]): LiveOrchestration {
    const dependencies = new Map<string, string[]>();
    const consumed = new Set<string>();
    for (const task of tasks) {
      const deps = [...new Set(collectReferences(task.input).map((r) => r.taskId))].filter((id) => id !== 'task0');
      dependencies.set(task.taskId, deps);
      for (const d of deps) consumed.add(d);
    }
    const live: LiveOrchestration = {
      record,
      tasks: new Map(tasks.map((t) => [t.taskId, t])),
      dependencies,
      consumed,
      sentTo: new Map(),
      chain: Promise.resolve(),
      isFinal: false,
    };
    this.live.set(record.id, live);
    for (const task of tasks) if (task.idempotencyKey && this.isOpen(task)) this.byKey.set(task.idempotencyKey, ref(task));
    return live;
  }

  /** Queues `work` on the orchestration's chain, commits its Step, then runs the Step's effects. */
  private enqueue(live: LiveOrchestration, work: (step: Step) => void): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.isStopped || live.isFinal) return;
      const step = new Step(live, this.now());
      work(step);
      if (step.isEmpty) return step.runEffects();
      try {
        await this.store.transaction((tx) => step.write(tx));
      } catch (err) {
        // The in-memory state is now ahead of storage: drop it, and let a restart resume from storage.
        this.log.error({ err, orchestrationId: live.record.id }, 'orchestration step failed to commit');
        this.forget(live);
        return;
      }
      this.afterCommit(step);
    };
    live.chain = live.chain.then(run, run);
    return live.chain;
  }

  /** What a step does once its writes have committed: its effects (sends, timers), then the progress notice. */
  private afterCommit(step: Step): void {
    step.runEffects();
    this.reportProgress(step);
  }

  private reportProgress(step: Step): void {
    if (!this.options.onProgress || (step.changedTasks.size === 0 && !step.isOrchestrationChanged)) return;
    const { record } = step.live;
    this.options.onProgress(record.projectId, {
      orchestrationId: record.id,
      status: record.status,
      tasks: [...step.changedTasks].map((t) => ({ taskId: t.taskId, state: t.state, kind: 'task' as const })),
    });
  }

  /** Sends every waiting task whose dependencies all have output; finishes when nothing is left. */
  private advance(step: Step): void {
    const { live } = step;
    if (live.record.status === 'pending') {
      live.record.status = 'processing';
      live.record.updatedAt = step.now;
      step.touchOrchestration();
    }
    let isAllDone = true;
    for (const task of live.tasks.values()) {
      if (task.state !== 'completed') isAllDone = false;
      if (task.state !== 'waiting') continue;
      const deps = live.dependencies.get(task.taskId) ?? [];
      if (!deps.every((d) => live.tasks.get(d)?.state === 'completed')) continue;
      const outputs = new Map<string, unknown>([['task0', live.record.taskZero]]);
      const depOutputs = new Map<string, unknown>();
      for (const d of deps) {
        outputs.set(d, live.tasks.get(d)?.output);
        depOutputs.set(d, live.tasks.get(d)?.output);
      }
      task.resolvedInput = resolveInput(task.input, outputs);
      task.idempotencyKey = taskIdempotencyKey(live.record, task.taskId, depOutputs);
      this.byKey.set(task.idempotencyKey, ref(task));
      this.dispatch(step, task);
      if (live.record.status !== 'processing') return; // the dispatch failed the orchestration
    }
    if (isAllDone) this.finalizeCompleted(step);
  }

  /**
   * Sends the task to a live socket of its service, or pauses it when there is none. A request larger
   * than a service accepts fails the task for good: sent, it would close the service's socket (1009) on
   * every re-send and keep the service offline.
   */
  private dispatch(step: Step, task: TaskRecord): void {
    const executionId = newExecutionId();
    const message = taskRequest(task, task.resolvedInput ?? {}, executionId, task.idempotencyKey as string);
    const overflow = frameOverflowBytes(message);
    if (overflow !== undefined) {
      const deps = step.live.dependencies.get(task.taskId) ?? [];
      const source = deps.length > 0 ? `the output of ${deps.join(', ')} wired into it` : 'its input';
      this.failTask(
        step,
        task,
        `${task.taskId} cannot be sent to service ${task.serviceName}: its request would be ` +
          `${describeFrameOverflow(overflow)}; ${source} is too large to pass on: have services pass large ` +
          'values by reference (a URL or a storage key)',
      );
      return;
    }
    if (!this.connections.isConnected(task.serviceId)) {
      this.pause(step, task, `service ${task.serviceId} is not healthy`);
      return;
    }
    const { live } = step;
    task.state = 'processing';
    task.attempts += 1;
    task.executionId = executionId;
    Object.assign(message, this.tracing.taskAttemptStarted(live.record, task, executionId, step.now));
    task.pausedSince = null;
    task.nextAttemptAt = null;
    step.touch(task);
    step.status(task, 'processing');
    step.afterCommit(() => {
      const socketId = this.connections.send(task.serviceId, message);
      if (socketId === undefined) {
        // The socket went away between commit and send: treat it as a disconnect.
        void this.enqueue(live, (s) => {
          if (task.state === 'processing' && task.executionId === executionId) this.dispatch(s, task);
        });
        return;
      }
      live.sentTo.set(task.taskId, socketId);
      this.timers.set(timerKey(task), step.now + live.record.timeoutMs, () => {
        void this.enqueue(live, (s) => {
          if (task.state === 'processing' && task.executionId === executionId) {
            this.tracing.taskAttemptEnded(task, 'timeout', 'timeout');
            this.failAttempt(s, task, 'task execution timed out waiting for result');
          }
        });
      });
    });
  }

  /**
   * A task taken over from a dead engine process whose attempt is still out with a live one (cluster/):
   * it is not sent again. Its attempt's time limit starts again now (when it began is not stored), and a
   * socket closing under it re-sends it as usual.
   */
  private keepWaiting(step: Step, task: TaskRecord, socketId: string): void {
    const { live } = step;
    const executionId = task.executionId;
    step.afterCommit(() => {
      live.sentTo.set(task.taskId, socketId);
      this.timers.set(timerKey(task), step.now + live.record.timeoutMs, () => {
        void this.enqueue(live, (s) => {
          if (task.state === 'processing' && task.executionId === executionId) {
            this.failAttempt(s, task, 'task execution timed out waiting for result');
          }
        });
      });
    });
  }

  private pause(step: Step, task: TaskRecord, reason: string | undefined): void {
    const { live } = step;
    const isNewPause = task.state !== 'paused';
    if (task.state === 'processing') this.tracing.taskAttemptEnded(task, 'interrupted', 'service_disconnected');
    task.state = 'paused';
    task.pausedSince ??= step.now;
    live.sentTo.delete(task.taskId);
    step.touch(task);
    if (isNewPause && reason) step.status(task, 'paused', reason);
    const graceMs = live.record.healthCheckGracePeriodMs;
    const pausedSince = task.pausedSince;
    step.afterCommit(() => {
      let refs = this.waiting.get(task.serviceId);
      if (!refs) this.waiting.set(task.serviceId, (refs = new Map()));
      refs.set(`${task.orchestrationId}|${task.taskId}`, ref(task));
      if (!this.connections.isConnected(task.serviceId)) this.options.health?.taskWaiting(live.record.projectId, task.serviceId, pausedSince);
      this.timers.set(timerKey(task), pausedSince + graceMs, () => {
        void this.enqueue(live, (s) => {
          if (task.state === 'paused' && s.now >= pausedSince + graceMs) {
            this.failTask(
              s,
              task,
              `service ${task.serviceId} remained unhealthy while exceeding maximum duration of ${formatGoDuration(graceMs)}`,
            );
          }
        });
      });
      // A socket may have opened between the decision to pause and now.
      if (this.connections.isConnected(task.serviceId)) this.onServiceConnected(task.serviceId);
    });
  }

  private complete(step: Step, task: TaskRecord, output: unknown, compensation: TaskRecord['compensation']): void {
    this.tracing.taskAttemptEnded(task, 'completed');
    task.state = 'completed';
    task.output = output;
    task.completedAt = step.now;
    task.error = null;
    task.nextAttemptAt = null;
    task.pausedSince = null;
    task.compensation = compensation && typeof compensation === 'object' ? compensation : null;
    step.touch(task);
    step.entry({ type: 'task_output', entryId: task.taskId, taskId: task.taskId, producerId: task.serviceId, value: output, attempt: task.attempts });
    if (task.compensation) {
      step.entry({
        type: 'compensation_stored',
        entryId: `comp_data_${task.taskId}`,
        taskId: task.taskId,
        producerId: task.serviceId,
        value: { data: task.compensation.data, context: null, ttl: task.compensation.ttl },
      });
    }
    step.status(task, 'completed');
    this.release(step, task);
    this.advance(step);
  }

  private failAttempt(step: Step, task: TaskRecord, error: string): void {
    task.consecutiveErrors += 1;
    task.error = error;
    step.touch(task);
    step.status(task, 'failed', error);
    step.live.sentTo.delete(task.taskId);
    if (task.consecutiveErrors >= this.options.taskMaxAttempts) {
      const n = task.consecutiveErrors;
      this.failTask(step, task, `${task.taskId} failed after ${n} attempt${n === 1 ? '' : 's'}: ${error}`);
      return;
    }
    task.state = 'retry_wait';
    task.nextAttemptAt =
      step.now + backoffMs(task.consecutiveErrors, this.options.taskBackoffMs, this.options.taskBackoffCapMs);
    this.armRetry(step, task);
  }

  private armRetry(step: Step, task: TaskRecord): void {
    const { live } = step;
    const dueAt = task.nextAttemptAt ?? step.now;
    step.afterCommit(() =>
      this.timers.set(timerKey(task), dueAt, () => {
        void this.enqueue(live, (s) => {
          if (task.state === 'retry_wait') this.dispatch(s, task);
        });
      }),
    );
  }

  /** The task failed for good: the orchestration fails with the task's error. */
  private failTask(step: Step, task: TaskRecord, message: string): void {
    task.state = 'failed';
    task.error = message;
    step.touch(task);
    step.status(task, 'failed', message);
    const failureId = `task_fail_${task.taskId}_${shortId()}`;
    step.entry({ type: 'task_failure', entryId: failureId, taskId: task.taskId, producerId: task.serviceId, value: { failure: message } });
    this.release(step, task);
    this.finalize(step, 'failed', { error: { id: failureId, producer: task.taskId, error: message } });
  }

  private abort(step: Step, task: TaskRecord, payload: unknown): void {
    this.tracing.taskAttemptEnded(task, 'aborted', 'task_aborted');
    task.state = 'aborted';
    step.touch(task);
    step.entry({ type: 'task_aborted_output', entryId: `aborted_${task.taskId}_${shortId()}`, taskId: task.taskId, producerId: task.serviceId, value: payload });
    step.status(task, 'aborted');
    this.release(step, task);
    this.finalize(step, 'aborted', { abortReason: payload });
  }

  private finalizeCompleted(step: Step): void {
    const sinks = [...step.live.tasks.values()]
      .filter((t) => !step.live.consumed.has(t.taskId))
      .sort((a, b) => a.seq - b.seq)
      .map((t) => t.output);
    this.finalize(step, 'completed', { results: sinks });
  }

  private finalize(
    step: Step,
    status: 'completed' | 'failed' | 'aborted',
    fields: { results?: unknown[]; error?: unknown; abortReason?: unknown },
  ): void {
    const { live } = step;
    if (live.isFinal) return;
    live.record.status = status;
    live.record.updatedAt = step.now;
    live.record.results = fields.results ?? null;
    live.record.error = fields.error ?? null;
    live.record.abortReason = fields.abortReason ?? null;
    this.tracing.ended(live.record);
    step.touchOrchestration();
    // Tasks still out are abandoned: their results will be ignored, and the views should say so.
    for (const task of live.tasks.values()) {
      if (!this.isOpen(task)) continue;
      task.state = 'aborted';
      step.touch(task);
      step.status(task, 'aborted', `abandoned: the orchestration ${status === 'aborted' ? 'was aborted' : 'failed'}`);
    }
    step.entry({ type: 'orchestration_status', entryId: `orchestration_${status}`, taskId: null, producerId: 'engine', value: { status } });
    for (const hook of this.finalizeHooks) hook(step);
    step.afterCommit(() => this.forget(live));
  }

  /** Drops every in-memory trace of a finished (or broken) orchestration. */
  private forget(live: LiveOrchestration): void {
    live.isFinal = true;
    for (const task of live.tasks.values()) {
      this.timers.clear(timerKey(task));
      if (task.idempotencyKey) this.byKey.delete(task.idempotencyKey);
      this.waiting.get(task.serviceId)?.delete(`${task.orchestrationId}|${task.taskId}`);
    }
    this.live.delete(live.record.id);
  }

  /** The task will receive no more results: clear its timer and key. */
  private release(step: Step, task: TaskRecord): void {
    step.live.sentTo.delete(task.taskId);
    step.afterCommit(() => {
      this.timers.clear(timerKey(task));
      if (task.idempotencyKey) this.byKey.delete(task.idempotencyKey);
    });
  }

  private isOpen(task: TaskRecord): boolean {
    return task.state === 'processing' || task.state === 'paused' || task.state === 'retry_wait';
  }
}

/** The `task_request` of one attempt of the task. */
export function taskRequest(
  task: Pick<TaskRecord, 'taskId' | 'serviceId'>,
  input: Record<string, unknown>,
  executionId: string,
  idempotencyKey: string,
): TaskRequest {
  return { type: 'task_request', id: task.taskId, input, executionId, idempotencyKey, serviceId: task.serviceId };
}

/** Where a task stands for an answer (answers/judge-answer.ts). */
export function taskPhase(task: Pick<TaskRecord, 'state'>): WorkPhase {
  if (task.state === 'processing' || task.state === 'paused') return 'awaiting';
  // `waiting` tasks were never sent; an answer for one cannot be for this orchestration's attempt.
  return task.state === 'retry_wait' ? 'between_attempts' : 'ended';
}

const ref = (task: TaskRecord): TaskRef => ({ orchestrationId: task.orchestrationId, taskId: task.taskId });
const timerKey = (task: TaskRecord): string => `task|${task.orchestrationId}|${task.taskId}`;
