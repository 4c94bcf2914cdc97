import { initService, type Logger } from '@orra/sdk';

/** A JSON-schema object with the given properties (all typed). */
export function objectSchema(props: Record<string, string>): { type: 'object'; properties: Record<string, { type: any }> } {
  return { type: 'object', properties: Object.fromEntries(Object.entries(props).map(([k, t]) => [k, { type: t }])) };
}

export interface TestServiceOptions {
  orraUrl: string | string[];
  apiKey: string;
  name: string;
  input: Record<string, string>;
  output: Record<string, string>;
  handler: (task: any) => Promise<unknown>;
  revertible?: boolean;
  revertTTL?: number;
  onRevert?: (originalTask: any, taskResult: any, context: any) => Promise<unknown>;
  description?: string;
  /** Start as this (already registered) service id: another instance of the same service. */
  id?: string;
  /** The SDK's logger (silent without one). */
  logger?: Logger;
  /** An OpenTelemetry tracer for the SDK's handler spans. */
  tracer?: unknown;
}

/** A real SDK service registered with the engine, its id kept in memory (no key file on disk). */
export async function startService(opts: TestServiceOptions) {
  let savedId: string | null = opts.id ?? null;
  const svc = initService({
    name: opts.name,
    orraUrl: opts.orraUrl,
    orraKey: opts.apiKey,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.tracer ? { tracer: opts.tracer } : {}),
    persistenceOpts: {
      method: 'custom',
      customSave: async (id: string) => {
        savedId = id;
      },
      customLoad: async () => savedId,
    },
  } as any);
  await svc.register({
    description: opts.description ?? `${opts.name} test service`,
    schema: { input: objectSchema(opts.input), output: objectSchema(opts.output) },
    ...(opts.revertible ? { revertible: true, revertTTL: opts.revertTTL ?? 60_000 } : {}),
  } as any);
  if (opts.onRevert) svc.onRevert(opts.onRevert as any);
  svc.start(opts.handler as any);
  return Object.assign(svc, { id: svc.info.id as string });
}
