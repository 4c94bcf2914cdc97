import type { ServerMessage } from '@orra/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logging/logger.js';
import { OrchestrationRunner } from '../src/orchestration/orchestration-runner.js';
import { OrchestrationService } from '../src/orchestration/orchestration-service.js';
import type { Store } from '../src/storage/store.js';
import { POSTGRES, SQLITE, type TestDatabase } from './helpers/store-adapters.js';
import { isPostgresRun } from './helpers/test-database.js';
import { project, service } from './helpers/store-fixtures.js';

/**
 * Issue 15: creating an orchestration and its first step (first tasks marked sent) are one commit, and
 * the first task request goes out only after that commit — with the orchestration, its tasks and the
 * step all durable by then. Runs on the run's store (SQLite, or PostgreSQL with ORRA_TEST_DATABASE).
 */
describe('an orchestration and its first step commit together', () => {
  let db: TestDatabase;
  let store: Store;

  beforeAll(async () => {
    db = (isPostgresRun ? POSTGRES : SQLITE).create();
    store = await db.open();
    await store.projects.insert(project('p_1'));
    await store.services.insert(service('s_a'));
  });
  afterAll(async () => {
    await db?.dispose();
  });

  it('commits once before the first task request is sent, and that commit holds the step', async () => {
    let commits = 0;
    const counting: Store = Object.create(store) as Store;
    counting.transaction = async (fn) => {
      const value = await store.transaction(fn);
      commits += 1;
      return value;
    };
    const sent: { message: ServerMessage; commitsBefore: number; storedState: Promise<string | undefined> }[] = [];
    const connections = {
      isConnected: () => true,
      send: (_serviceId: string, message: ServerMessage) => {
        sent.push({
          message,
          commitsBefore: commits,
          // What another reader sees at the moment of the send: the step must be durable already.
          storedState: store.orchestrations
            .listByProject('p_1', { limit: 1 } as never)
            .then(([o]) => (o ? store.tasks.listByOrchestration(o.id) : []))
            .then((ts) => ts.find((t) => t.taskId === 'task1')?.state),
        });
        return 'socket-1';
      },
    };
    const runner = new OrchestrationRunner(counting, connections, createLogger('silent'), {
      taskMaxAttempts: 3,
      taskBackoffMs: 10,
      taskBackoffCapMs: 100,
    });
    const orchestrations = new OrchestrationService(counting, runner, { taskTimeoutMs: 60_000, healthCheckGracePeriodMs: 60_000 });
    const created = await orchestrations.create('p_1', {
      action: 'one task',
      data: [{ field: 'n', value: 1 }],
      plan: { tasks: [{ id: 'task1', service: 's_a', input: { n: '$task0.n' } }] },
    } as never);
    await runner.stop();

    expect(created.record.status).toBe('pending'); // the response shows the orchestration as submitted
    expect(sent).toHaveLength(1);
    expect(sent[0]!.message.type).toBe('task_request');
    expect(sent[0]!.commitsBefore).toBe(1);
    expect(commits).toBe(1);
    expect(await sent[0]!.storedState).toBe('processing');
    const stored = await store.orchestrations.getById(created.record.id);
    expect(stored?.status).toBe('processing');
    const journal = await store.journal.listByOrchestration(created.record.id);
    expect(journal.map((e) => e.type)).toEqual(['task_output', 'task_status']);
  });
});
