import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from './logger.js';

/**
 * Where a service keeps its id between runs, as orra's JS SDK: a JSON file (default) or custom
 * functions (a database, a secret store…).
 */
export type PersistenceOptions =
  | { method: 'file'; filePath?: string }
  | {
      method: 'custom';
      customSave: (id: string) => void | Promise<void>;
      customLoad: () => string | null | undefined | Promise<string | null | undefined>;
    };

/** Loads and saves a service's id. */
export interface ServiceIdStore {
  /** The saved id, or null when there is none yet. */
  load(): Promise<string | null>;
  save(id: string): Promise<void>;
}

/** orra's default key file: `<cwd>/.orra-data/<name>-orra-service-key.json`. */
export function defaultServiceKeyPath(name: string): string {
  return join(process.cwd(), '.orra-data', `${name}-orra-service-key.json`);
}

/** The store described by `options` (default: the key file of `name`). */
export function createServiceIdStore(
  name: string,
  options: PersistenceOptions | undefined,
  logger: Logger,
): ServiceIdStore {
  if (options?.method === 'custom') {
    if (typeof options.customSave !== 'function' || typeof options.customLoad !== 'function') {
      throw new TypeError('persistenceOpts.customSave and persistenceOpts.customLoad must be functions');
    }
    return {
      load: async () => {
        const id = await options.customLoad();
        return typeof id === 'string' && id.trim() !== '' ? id : null;
      },
      save: async (id) => {
        await options.customSave(id);
      },
    };
  }
  if (options !== undefined && options.method !== 'file') {
    throw new TypeError(
      `persistenceOpts.method must be "file" or "custom", not ${JSON.stringify((options as { method?: unknown }).method)}`,
    );
  }
  return new FileServiceIdStore(options?.filePath ?? defaultServiceKeyPath(name), logger);
}

/** The `{"id":"s_…"}` file orra's SDK writes, so a service can move between the two SDKs. */
class FileServiceIdStore implements ServiceIdStore {
  constructor(
    private readonly filePath: string,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<string | null> {
    let text: string;
    try {
      text = await readFile(this.filePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      const parsed = JSON.parse(text) as { id?: unknown };
      if (typeof parsed.id === 'string' && parsed.id.trim() !== '') return parsed.id;
    } catch {
      // Fall through: an unreadable file must not stop the service; it registers as new instead.
    }
    this.logger.warn('ignoring unreadable service key file', { filePath: this.filePath });
    return null;
  }

  async save(id: string): Promise<void> {
    await mkdir(dirname(this.filePath), { recursive: true });
    // Write then rename, so a crash mid-write never leaves a truncated file that loses the id.
    const tmp = `${this.filePath}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ id }), 'utf8');
    await rename(tmp, this.filePath);
  }
}
