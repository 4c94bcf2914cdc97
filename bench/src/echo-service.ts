import { initService, type ServiceTask } from '@orra/sdk';

/**
 * An echo service (`{v}` in, the same `{v}` out) registered and started with the SDK. `onTask` sees each
 * task before it is answered. Pass `id` to start another instance of an already registered service.
 */
export async function startEcho(
  orraUrl: string,
  apiKey: string,
  onTask: (task: ServiceTask) => void = () => undefined,
  id: string | null = null,
) {
  const echo = initService({
    name: 'echo',
    orraUrl,
    orraKey: apiKey,
    persistenceOpts: {
      method: 'custom',
      customSave: async (s: string) => void (id = s),
      customLoad: async () => id,
    },
  });
  await echo.register({
    description: 'echo',
    schema: {
      input: { type: 'object', properties: { v: { type: 'string' } } },
      output: { type: 'object', properties: { v: { type: 'string' } } },
    },
  });
  echo.start(async (task) => {
    onTask(task);
    return { v: (task.input as { v: string }).v };
  });
  return echo;
}
