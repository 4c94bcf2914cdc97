import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initService } from '@orra/sdk';
import { newProject } from './helpers/api.js';
import { MarkdownDoc, REPO_ROOT } from './helpers/markdown-doc.js';
import { startService } from './helpers/sdk-services.js';
import { startTestEngine, type TestEngine } from './helpers/test-engine.js';
import { waitFor } from './helpers/wait-for.js';

/**
 * The service snippet of docs/compensation.md, type-checked against `@orra/sdk` and run as a real
 * service process: once as written (the undo completes), and once with each of its commented-out
 * `return` lines put back (`partial`, and `failed`, which the engine counts as a failed attempt).
 */
const doc = MarkdownDoc.read('docs/compensation.md');
const snippet = doc.section('Making a service revertible', 2).blocks.find((b) => b.lang === 'ts')!.text;

/**
 * What the snippet uses without defining: the SDK import, the engine's address and key, a schema, and
 * the payment provider's `charge` and `refund` (which print what they do).
 */
const PRELUDE = `import { initService, type RegisterOptions } from '@orra/sdk';
const orraUrl = process.env.ORRA_URL!;
const orraKey = process.env.ORRA_API_KEY!;
const schema: RegisterOptions['schema'] = {
  input: { type: 'object', properties: { orderId: { type: 'string' }, amount: { type: 'number' } } },
  output: { type: 'object', properties: { chargeId: { type: 'string' } } },
};
async function charge(input: { orderId?: string }): Promise<string> {
  return 'ch_' + input.orderId;
}
async function refund(chargeId: string): Promise<void> {
  console.log('refunded ' + chargeId);
}
`;

/** The snippet as written, and with one commented-out `return` of the revert handler put back. */
function variants(): Record<'asWritten' | 'partial' | 'failed', string> {
  const uncomment = (status: string) => {
    const line = new RegExp(`^(\\s*)// (return \\{ status: '${status}'.*)$`, 'm');
    expect(snippet, `a commented-out return of status ${status}`).toMatch(line);
    return snippet.replace(line, '$1$2');
  };
  return { asWritten: snippet, partial: uncomment('partial'), failed: uncomment('failed') };
}

describe('docs/compensation.md: the revertible service snippet', () => {
  let dir = '';
  let engine: TestEngine;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'orra-compensation-doc-'));
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir'); // @orra/sdk is a workspace link
    engine = await startTestEngine({
      taskMaxAttempts: 1,
      compensationMaxAttempts: 2,
      compensationBackoffMs: 10,
      compensationBackoffCapMs: 20,
    });
  });
  afterAll(async () => {
    for (const child of children) child.kill();
    await engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('type-checks against @orra/sdk, as written and with each commented-out return put back', () => {
    const files = Object.entries(variants()).map(([name, text]) => {
      const file = join(dir, `${name}.ts`);
      writeFileSync(file, PRELUDE + text);
      return file;
    });
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      noUncheckedIndexedAccess: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      types: ['node'],
      skipLibCheck: true,
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(problems).toEqual([]);
  });

  it('start() refuses a revertible service without onRevert, as the text says', async () => {
    const { apiKey } = await newProject(engine.url, 'no-revert');
    let id: string | null = null;
    const svc = initService({
      name: 'payments',
      orraUrl: engine.url,
      orraKey: apiKey,
      persistenceOpts: {
        method: 'custom',
        customSave: async (v) => void (id = v),
        customLoad: async () => id,
      },
    });
    await svc.register({
      description: 'Charges cards',
      schema: {
        input: { type: 'object', properties: { amount: { type: 'number' } } },
        output: { type: 'object', properties: { chargeId: { type: 'string' } } },
      },
      revertible: true,
    });
    expect(() => svc.start(async () => ({}))).toThrow(/onRevert/);
    await svc.shutdown();
  });

  /**
   * Runs one variant as its own service process in a project of its own, then an orchestration that
   * charges and whose next task fails, so the charge is undone. Resolves with the inspected charge
   * task, the project's API and what the service printed.
   */
  async function runVariant(name: keyof ReturnType<typeof variants>) {
    const { api, apiKey, projectId } = await newProject(engine.url, `compensation-${name}`);
    const cwd = join(dir, name);
    mkdirSync(cwd);
    writeFileSync(
      join(cwd, 'service.js'),
      ts.transpileModule(PRELUDE + variants()[name], {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText,
    );
    let output = '';
    const child = spawn(process.execPath, ['service.js'], {
      cwd,
      env: { ...process.env, ORRA_URL: engine.url, ORRA_API_KEY: apiKey },
    });
    children.push(child);
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    // Registered is enough: a task waits for its service's socket.
    const payments = await waitFor(
      async () =>
        (await engine.store.services.listByProject(projectId)).find((s) => s.name === 'payments')?.id,
      { what: "the snippet's payments service to register" },
    );
    const shipping = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'shipping',
      input: { chargeId: 'string' },
      output: { trackingId: 'string' },
      handler: async () => {
        throw new Error('no courier available');
      },
    });
    try {
      const created = await api.post('/orchestrations', {
        action: { content: 'Charge and ship order ORD1' },
        data: [{ field: 'orderId', value: 'ORD1' }],
        plan: {
          tasks: [
            { id: 'task0', input: { orderId: 'ORD1', amount: 10 } },
            { id: 'task1', service: payments, input: { orderId: '$task0.orderId', amount: '$task0.amount' } },
            // After the charge (it reads its output), so there is always a charge to undo.
            { id: 'task2', service: shipping.id, input: { chargeId: '$task1.chargeId' } },
          ],
        },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      const charge = await waitFor(
        async () => {
          const view = (await api.get(`/orchestrations/inspections/${created.body.id}`)).body;
          const task = view.tasks?.find((t: { id: string }) => t.id === 'task1');
          return ['completed', 'partial', 'failed', 'expired'].includes(task?.compensation?.status)
            ? task
            : undefined;
        },
        { what: 'the charge to be undone' },
      );
      return { charge, api, output: () => output };
    } finally {
      await shipping.shutdown();
    }
  }

  it('as written: the charge is refunded and the compensation completes', async () => {
    const { charge, output } = await runVariant('asWritten');
    expect(charge.compensation.status).toBe('completed');
    await waitFor(() => output().includes('refunded ch_ORD1'), { what: 'the refund to be printed' });
  });

  it("with `return { status: 'partial', … }`: the compensation is partial", async () => {
    const { charge, output } = await runVariant('partial');
    expect(charge.compensation.status).toBe('partial');
    await waitFor(() => output().includes('refunded ch_ORD1'), { what: 'the refund to be printed' });
  });

  it("with `return { status: 'failed', … }`: every attempt fails and an operator is asked, with the data the SDK sent", async () => {
    const { charge, api } = await runVariant('failed');
    expect(charge.compensation).toMatchObject({ status: 'failed', attempt: 2, max_attempts: 2 });
    const [record] = (await api.get('/compensation-failures?resolution=pending')).body;
    expect(record).toMatchObject({
      serviceName: 'payments',
      status: 'failed',
      failure: expect.stringContaining('refund rejected'),
      // "the SDK sends compensation: {data: {originalTask, taskResult}, ttl}"; ttl is the snippet's revertTTL.
      compensationData: {
        data: {
          originalTask: { id: 'task1', input: { orderId: 'ORD1', amount: 10 } },
          taskResult: { chargeId: 'ch_ORD1' },
        },
        ttl: 3_600_000,
      },
    });
  });
  it('Abort: `task.abort({…})` from a handler ends the orchestration aborted and compensation runs with reason "aborted"', async () => {
    const abort = doc.section('Abort', 2);
    const expression = /from inside its handler: `(task\.abort\([^`]+\))`/.exec(
      abort.body.replace(/\n/g, ' '),
    )![1]!;
    const { api, apiKey } = await newProject(engine.url, 'compensation-abort');
    const contexts: unknown[] = [];
    const payments = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'payments',
      input: { orderId: 'string' },
      output: { chargeId: 'string' },
      revertible: true,
      handler: async (task) => ({ chargeId: `ch_${task.input.orderId}` }),
      onRevert: async (_task, _result, context) => void contexts.push(context),
    });
    // The document's expression, run as the handler's body.
    const fraudCheck = await startService({
      orraUrl: engine.url,
      apiKey,
      name: 'fraud-check',
      input: { chargeId: 'string' },
      output: { ok: 'boolean' },
      handler: (task) => new Function('task', `return ${expression}`)(task) as Promise<unknown>,
    });
    try {
      const created = await api.post('/orchestrations', {
        action: { content: 'Charge and check order ORD1' },
        plan: {
          tasks: [
            { id: 'task0', input: { orderId: 'ORD1' } },
            { id: 'task1', service: payments.id, input: { orderId: '$task0.orderId' } },
            { id: 'task2', service: fraudCheck.id, input: { chargeId: '$task1.chargeId' } },
          ],
        },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      const payload = new Function(`return ${/task\.abort\((.*)\)$/.exec(expression)![1]}`)() as unknown;
      await waitFor(() => contexts.length > 0, { what: 'the charge to be undone' });
      expect(contexts[0]).toMatchObject({ orchestrationId: created.body.id, reason: 'aborted', payload });
      const ended = (await api.get(`/orchestrations/${created.body.id}`)).body;
      expect(ended).toMatchObject({ status: 'aborted', abortReason: payload });
    } finally {
      await payments.shutdown();
      await fraudCheck.shutdown();
    }
  });
});
