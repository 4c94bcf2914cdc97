import type {
  ApiKeyOut,
  ErrorBodyOut,
  OrchestrationIn,
  OrchestrationInspectOut,
  OrchestrationListOut,
  OrchestrationOut,
  ProjectIn,
  ProjectOut,
  ServiceIn,
  ServiceKind,
  ServiceOut,
} from '@orra/protocol';
import { OrraApiError, OrraConnectionError } from './errors.js';

/** How to reach the engine. */
export interface OrraClientOptions {
  /** The engine's base URL, e.g. `http://127.0.0.1:8005`. */
  baseUrl: string;
  /** A project API key (`sk-orra-v1-…`), sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

/** Per-request overrides. */
export interface RequestOptions {
  /** A different bearer token for this request (e.g. the admin token for project registration). */
  bearer?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A small typed client for the engine's HTTP API, on the global `fetch` (fine for the CLI and admin
 * paths; the engine's hot paths do not use it). Non-2xx answers throw `OrraApiError`; unreachable
 * engines throw `OrraConnectionError`.
 */
export class OrraClient {
  /** The base URL without a trailing slash. */
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: OrraClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** `GET /health`. */
  health(): Promise<unknown> {
    return this.request('GET', '/health');
  }

  /** `POST /register/project`; returns the project with its (only ever shown once) API key. */
  registerProject(body: ProjectIn = {}, options?: RequestOptions): Promise<ProjectOut> {
    return this.request('POST', '/register/project', body, options);
  }

  /** `POST /apikeys`: adds an API key to the caller's project. */
  createApiKey(): Promise<ApiKeyOut> {
    return this.request('POST', '/apikeys', {});
  }

  /** `POST /register/service` or `/register/agent`. */
  registerService(kind: ServiceKind, body: ServiceIn): Promise<ServiceOut> {
    return this.request('POST', `/register/${kind}`, body);
  }

  /** `POST /orchestrations`. */
  createOrchestration(body: OrchestrationIn): Promise<OrchestrationOut> {
    return this.request('POST', '/orchestrations', body);
  }

  /** `GET /orchestrations`: the project's orchestrations grouped by status. */
  listOrchestrations(): Promise<OrchestrationListOut> {
    return this.request('GET', '/orchestrations');
  }

  /** `GET /orchestrations/{id}`. */
  getOrchestration(id: string): Promise<OrchestrationOut> {
    return this.request('GET', `/orchestrations/${encodeURIComponent(id)}`);
  }

  /** `GET /orchestrations/inspections/{id}`. */
  inspectOrchestration(id: string): Promise<OrchestrationInspectOut> {
    return this.request('GET', `/orchestrations/inspections/${encodeURIComponent(id)}`);
  }

  /**
   * Any API call: `path` starts with `/`, `body` is sent as JSON. Resolves with the parsed JSON body,
   * or undefined for an empty one (204).
   */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    const bearer = options.bearer ?? this.apiKey;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw connectionError(err, method, url, this.timeoutMs);
    }
    if (!response.ok) throw apiError(response, text);
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new OrraApiError(`${method} ${path} answered ${response.status} with a body that is not JSON`, {
        status: response.status,
      });
    }
  }
}

function connectionError(err: unknown, method: string, url: string, timeoutMs: number): OrraConnectionError {
  const name = (err as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new OrraConnectionError(`${method} ${url} timed out after ${timeoutMs} ms`, url, { cause: err });
  }
  // fetch reports "fetch failed" and hides the reason (ECONNREFUSED, ENOTFOUND…) in `cause`.
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  const reason = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  return new OrraConnectionError(`cannot reach the orra engine at ${url}: ${reason}`, url, { cause: err });
}

function apiError(response: Response, text: string): OrraApiError {
  let error: Partial<ErrorBodyOut['error']> | undefined;
  try {
    const parsed = JSON.parse(text) as Partial<ErrorBodyOut> | null;
    if (parsed && typeof parsed.error === 'object' && parsed.error !== null) error = parsed.error;
  } catch {
    // Not JSON (a proxy's HTML page, orra's empty 403): described from the status below.
  }
  const fallback = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${
    text.trim() ? `: ${text.trim().slice(0, 200)}` : ''
  }`;
  return new OrraApiError(typeof error?.message === 'string' && error.message ? error.message : fallback, {
    status: response.status,
    code: error?.code,
    kind: error?.kind,
    param: error?.param,
    requestId: error?.requestId,
  });
}
