import { shortId, type TaskStatus } from '@orra/protocol';
import type { JournalEntry, OrchestrationRecord, Repos, TaskRecord } from '../storage/store.js';

/** An orchestration this process is running: its record and tasks, kept in memory while in flight. */
export interface LiveOrchestration {
  record: OrchestrationRecord;
  tasks: Map<string, TaskRecord>;
  /** Task id → plan tasks it reads from (task0 excluded). */
  dependencies: Map<string, string[]>;
  /** Task ids whose output some other task reads; the rest are sinks and form the results. */
  consumed: Set<string>;
  /** Socket each processing task was last sent to (process-local; sockets do not survive a restart). */
  sentTo: Map<string, string>;
  /** Serialises all work on this orchestration. */
  chain: Promise<void>;
  isFinal: boolean;
}

/**
 * One unit of work on an orchestration: the state changes it makes in memory, the journal entries it
 * appends, and the side effects (sends, timers) that may run only after it commits. Committing writes
 * everything in one transaction, so what services and timers observe is always durable first.
 */
export class Step {
  readonly changedTasks = new Set<TaskRecord>();
  readonly journal: JournalEntry[] = [];
  isOrchestrationChanged = false;
  private readonly effects: (() => void)[] = [];
  private readonly writes: ((tx: Repos) => Promise<void>)[] = [];

  constructor(
    readonly live: LiveOrchestration,
    readonly now: number,
  ) {}

  touch(task: TaskRecord): void {
    this.changedTasks.add(task);
  }

  touchOrchestration(): void {
    this.isOrchestrationChanged = true;
  }

  /** Queues a side effect to run once the step has committed. */
  afterCommit(effect: () => void): void {
    this.effects.push(effect);
  }

  /**
   * Adds a write to the step's transaction (webhook outbox rows, compensation records…): it commits
   * together with the state change that causes it, or not at all.
   */
  addWrite(write: (tx: Repos) => Promise<void>): void {
    this.writes.push(write);
  }

  /** Appends a `task_status` entry in orra's shape. */
  status(task: TaskRecord, status: TaskStatus, error?: string): void {
    const id = `evt_${task.taskId}_${shortId()}`;
    this.journal.push({
      orchestrationId: task.orchestrationId,
      type: 'task_status',
      entryId: id,
      taskId: task.taskId,
      producerId: task.taskId,
      value: {
        id,
        orchestrationId: task.orchestrationId,
        taskId: task.taskId,
        status,
        timestamp: this.now,
        serviceId: task.serviceId,
        ...(error ? { error } : {}),
      },
      attempt: task.attempts,
      at: this.now,
    });
  }

  entry(e: Omit<JournalEntry, 'orchestrationId' | 'at' | 'attempt'> & { attempt?: number }): void {
    this.journal.push({ orchestrationId: this.live.record.id, at: this.now, attempt: 0, ...e });
  }

  get isEmpty(): boolean {
    return (
      this.changedTasks.size === 0 && this.journal.length === 0 && !this.isOrchestrationChanged && this.writes.length === 0
    );
  }

  /** Writes the step in the given transaction. */
  async write(tx: Repos): Promise<void> {
    await tx.tasks.saveWithJournal([...this.changedTasks], this.journal);
    if (this.isOrchestrationChanged) await tx.orchestrations.update(this.live.record);
    for (const write of this.writes) await write(tx);
  }

  runEffects(): void {
    for (const effect of this.effects) effect();
  }
}
