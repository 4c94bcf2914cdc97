import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initService } from '@orra/sdk';
import { startService, type TestServiceOptions } from '../../../engine/test/helpers/sdk-services.js';
import { startTestEngine, type TestEngine } from '../../../engine/test/helpers/test-engine.js';
import { waitFor } from '../../../engine/test/helpers/wait-for.js';
import { CliHome, type CliResult } from './cli.js';

/**
 * A real engine on port 0, a temporary CLI home with one project added through `orra projects add`,
 * and helpers to start real SDK services with the project's key.
 */
export class CliFixture {
  readonly home = new CliHome();
  engine!: TestEngine;
  apiKey = '';
  private readonly cleanup: (() => unknown)[] = [];

  /** Starts the engine (with config overrides) and adds `project` as the current project. */
  async start(overrides: Record<string, unknown> = {}, project = 'shop'): Promise<this> {
    this.engine = await startTestEngine(overrides);
    await this.expectOk(['projects', 'add', project, '--server', this.engine.url]);
    this.apiKey = this.config().projects[project].cli_auth;
    return this;
  }

  /** The config file as JSON. */
  config(): any {
    return JSON.parse(readFileSync(this.home.configPath, 'utf8'));
  }

  /** `orra ARGS`. */
  run(args: string[], env?: Record<string, string | undefined>): Promise<CliResult> {
    return this.home.run(args, env);
  }

  /** `orra ARGS`, which must exit 0. */
  async expectOk(args: string[]): Promise<CliResult> {
    const r = await this.home.run(args);
    if (r.code !== 0)
      throw new Error(`orra ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  }

  /** `orra ARGS --json`, parsed. */
  json<T = any>(args: string[]): Promise<T> {
    return this.home.json<T>([...args, '--json']);
  }

  /** A real SDK service registered in the project. */
  async service(opts: Omit<TestServiceOptions, 'orraUrl' | 'apiKey'>) {
    const svc = await startService({ orraUrl: this.engine.url, apiKey: this.apiKey, ...opts });
    this.cleanup.push(() => svc.shutdown());
    return svc;
  }

  /** A revertible `inventory` service: holds stock (`holdId: hold-<orderId>`), undone by `onRevert`. */
  inventory(onRevert: () => Promise<unknown> = async () => undefined) {
    return this.service({
      name: 'inventory',
      input: { orderId: 'string' },
      output: { holdId: 'string' },
      revertible: true,
      handler: async (t) => ({ holdId: `hold-${t.input.orderId}` }),
      onRevert,
    });
  }

  /** A real SDK service with a full JSON schema (arrays with items, nested objects). */
  async serviceWithSchema(
    name: string,
    schema: { input: unknown; output: unknown },
    handler: (task: any) => Promise<unknown>,
  ) {
    let savedId: string | null = null;
    const svc = initService({
      name,
      orraUrl: this.engine.url,
      orraKey: this.apiKey,
      persistenceOpts: {
        method: 'custom',
        customSave: async (id: string) => void (savedId = id),
        customLoad: async () => savedId,
      },
    } as any);
    await svc.register({ description: `${name} test service`, schema } as any);
    svc.start(handler as any);
    this.cleanup.push(() => svc.shutdown());
    return Object.assign(svc, { id: svc.info.id as string });
  }

  /** Writes an explicit plan of `[serviceId, input]` steps to a file for `verify run --plan`. */
  planFile(name: string, steps: [string, Record<string, unknown>][]): string {
    const path = join(this.home.dir, `${name}.json`);
    writeFileSync(
      path,
      JSON.stringify({ tasks: steps.map(([service, input], i) => ({ id: `task${i + 1}`, service, input })) }),
    );
    return path;
  }

  /** Waits until `orra inspect ID --json` satisfies `isDone`. */
  async settled(id: string, isDone: (view: any) => boolean): Promise<any> {
    return waitFor(
      async () => {
        const view = await this.json(['inspect', id]);
        return isDone(view) ? view : undefined;
      },
      { what: `orchestration ${id} to settle`, timeoutMs: 20_000, intervalMs: 100 },
    );
  }

  /** Registers a cleanup step, run in reverse order by `dispose`. */
  onDispose(fn: () => unknown): void {
    this.cleanup.push(fn);
  }

  async dispose(): Promise<void> {
    for (const fn of this.cleanup.reverse()) await fn();
    await this.engine?.dispose();
    this.home.dispose();
  }
}

/** Every revertible task compensated (or its compensation given up). */
export const allCompensated = (v: any): boolean =>
  !['pending', 'processing'].includes(v.status) &&
  (v.tasks ?? [])
    .filter((t: any) => t.isRevertible && t.status === 'completed')
    .every((t: any) => ['completed', 'partial', 'failed', 'expired'].includes(t.compensation?.status));

export { waitFor };
