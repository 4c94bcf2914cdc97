import type {
  ApiKeyIn,
  ApiKeyOut,
  ConsoleLinkOut,
  FailedCompensationOut,
  GroundingSpecIn,
  GroundingSpecOut,
  OrchestrationIn,
  OrchestrationInspectOut,
  OrchestrationListOut,
  OrchestrationOut,
  ProjectIn,
  ProjectOut,
  ServiceDetailOut,
  ServiceIn,
  ServiceKind,
  ServiceOut,
  RequeueOut,
  RotateSecretOut,
  ResolutionStateOut,
  WebhookDeliveryPageOut,
  WebhookDeliveryStatusOut,
  WebhookEndpointKind,
  WebhookEndpointOut,
  WebhookEventOut,
  WebhookEventType,
  WebhookTestOut,
} from '@orra/protocol';
import { IDEMPOTENCY_KEY_HEADER } from '@orra/protocol';
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import { request as httpRequest } from 'undici';
import { apiErrorFromResponse, OrraApiError, OrraConnectionError } from './errors.js';

/** How to reach the engine. */
export interface OrraClientOptions {
  /** The engine's base URL, e.g. `http://127.0.0.1:8005`. */
  baseUrl: string;
  /** A project API key (`sk-orra-v1-…`), sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /**
   * The waits before each retry of `createOrchestration` when the engine could not be reached, the
   * connection broke before the answer, or the engine answered 503 (starting or stopping). Default
   * 0.5, 1, 2, 4 and 8 s: five retries over about 15 s. `[]` never retries.
   */
  submitRetryDelaysMs?: readonly number[];
  /**
   * Sent as `X-Orra-Client`: the engine's audit trail records where an operator change came from (`cli`;
   * anything else counts as `api`).
   */
  client?: string;
}

/** Options of `createOrchestration`. */
export interface SubmitOptions {
  /**
   * The `Idempotency-Key` sent with the submission and with each of its retries (default: a new random
   * UUID per call). Pass one of your own, saved before submitting, to make a retry from another process
   * (after a crash of yours) safe too. At most 255 characters.
   */
  idempotencyKey?: string;
}

/** Server-side filters of `GET /compensation-failures` (all optional). */
export interface FailedCompensationFilter {
  resolution?: ResolutionStateOut;
  /** An exact orchestration id. */
  orchestration?: string;
  /** An exact service id, or a service name (case-insensitive). */
  service?: string;
  limit?: number;
  offset?: number;
}

/** Filters of `GET /webhooks/deliveries` (all optional). */
export interface WebhookDeliveryFilter {
  status?: WebhookDeliveryStatusOut;
  type?: WebhookEventType;
  /** An endpoint id. */
  endpoint?: string;
  /** An orchestration id: the deliveries of its events, its compensations' included. */
  orchestration?: string;
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/** Per-request overrides. */
export interface RequestOptions {
  /** A different bearer token for this request (e.g. the admin token for project registration). */
  bearer?: string;
  /** More request headers. */
  headers?: Record<string, string>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_SUBMIT_RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000];

/**
 * A small typed client for the engine's HTTP API. Non-2xx answers throw `OrraApiError`; unreachable
 * engines throw `OrraConnectionError`. It sends with undici's `request`, not the global `fetch` (which is
 * undici too, under WHATWG Request/Response/stream objects): an application's `POST /orchestrations`
 * is on its critical path, and fetch cost 0.2–0.45 ms more per request on loopback (bench/README.md).
 */
export class OrraClient {
  /** The base URL without a trailing slash. */
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly submitRetryDelaysMs: readonly number[];
  private readonly client: string | undefined;

  constructor(options: OrraClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.submitRetryDelaysMs = options.submitRetryDelaysMs ?? DEFAULT_SUBMIT_RETRY_DELAYS_MS;
    this.client = options.client;
  }

  /** `GET /health`. */
  health(): Promise<unknown> {
    return this.request('GET', '/health');
  }

  /** `POST /register/project`; returns the project with its (only ever shown once) API key. */
  registerProject(body: ProjectIn = {}, options?: RequestOptions): Promise<ProjectOut> {
    return this.request('POST', '/register/project', body, options);
  }

  /**
   * `POST /apikeys`: adds an API key to the caller's project; `role: 'read'` makes a key that may look
   * but not change anything.
   */
  createApiKey(body: ApiKeyIn = {}): Promise<ApiKeyOut> {
    return this.request('POST', '/apikeys', body);
  }

  /** `POST /console/links`: a one-time console sign-in link for this client's key, valid for 60 s. */
  createConsoleLink(): Promise<ConsoleLinkOut> {
    return this.request('POST', '/console/links', {});
  }

  /** `POST /register/service` or `/register/agent`. */
  registerService(kind: ServiceKind, body: ServiceIn): Promise<ServiceOut> {
    return this.request('POST', `/register/${kind}`, body);
  }

  /** `GET /services`: the project's services and agents, sorted by name, with schemas and connection state. */
  listServices(): Promise<ServiceDetailOut[]> {
    return this.request('GET', '/services');
  }

  /** `GET /services/{id}`: one service or agent of the project. */
  getService(id: string): Promise<ServiceDetailOut> {
    return this.request('GET', `/services/${enc(id)}`);
  }

  /**
   * `POST /orchestrations` with an `Idempotency-Key`. A submission whose answer was lost (the engine
   * unreachable, the connection cut, the engine restarting) is sent again with the same key, so the
   * engine runs it at most once: a retry of one it had stored is answered with that orchestration.
   */
  async createOrchestration(body: OrchestrationIn, options: SubmitOptions = {}): Promise<OrchestrationOut> {
    const headers = { [IDEMPOTENCY_KEY_HEADER]: options.idempotencyKey ?? globalThis.crypto.randomUUID() };
    for (let retry = 0; ; retry++) {
      try {
        return await this.request<OrchestrationOut>('POST', '/orchestrations', body, { headers });
      } catch (err) {
        const delayMs = this.submitRetryDelaysMs[retry];
        const isLost =
          err instanceof OrraConnectionError || (err instanceof OrraApiError && err.status === 503);
        if (delayMs === undefined || !isLost) throw err;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  /** `GET /orchestrations`: the project's orchestrations grouped by status. */
  listOrchestrations(): Promise<OrchestrationListOut> {
    return this.request('GET', '/orchestrations');
  }

  /** `GET /orchestrations/{id}`. */
  getOrchestration(id: string): Promise<OrchestrationOut> {
    return this.request('GET', `/orchestrations/${enc(id)}`);
  }

  /** `GET /orchestrations/inspections/{id}`. */
  inspectOrchestration(id: string): Promise<OrchestrationInspectOut> {
    return this.request('GET', `/orchestrations/inspections/${enc(id)}`);
  }

  /**
   * The engine's version from the `X-Orra-PlaneEngine-Version` header of `GET /health` (orra's
   * spelling), or null when the engine does not send it.
   */
  async serverVersion(): Promise<string | null> {
    const { headers } = await this.send('GET', '/health');
    const version = headers['x-orra-planeengine-version'];
    return (Array.isArray(version) ? version[0] : version) ?? null;
  }

  /** `POST /orchestrations/{id}/abort`: an operator abort (our extension). */
  abortOrchestration(id: string, reason?: string): Promise<OrchestrationOut> {
    return this.request('POST', `/orchestrations/${enc(id)}/abort`, reason === undefined ? {} : { reason });
  }

  /** `GET /compensation-failures`, newest first; the engine sends `null` for none, returned as `[]`. */
  async listFailedCompensations(filter: FailedCompensationFilter = {}): Promise<FailedCompensationOut[]> {
    return (
      (await this.request<FailedCompensationOut[] | null>(
        'GET',
        `/compensation-failures${query({ ...filter })}`,
      )) ?? []
    );
  }

  /** `GET /compensation-failures/{id}`, with its audit trail. */
  getFailedCompensation(id: string): Promise<FailedCompensationOut> {
    return this.request('GET', `/compensation-failures/${enc(id)}`);
  }

  /** `POST /compensation-failures/{id}/resolve` or `/ignore` with the operator's reason. */
  disposeFailedCompensation(
    id: string,
    action: 'resolve' | 'ignore',
    reason: string,
  ): Promise<FailedCompensationOut> {
    return this.request('POST', `/compensation-failures/${enc(id)}/${action}`, { reason });
  }

  /** `POST /compensation-failures/{id}/retry`: runs the compensation again and answers with the outcome. */
  retryFailedCompensation(id: string): Promise<FailedCompensationOut> {
    return this.request('POST', `/compensation-failures/${enc(id)}/retry`, {});
  }

  /**
   * `POST /webhooks` (with `kind: "operator"` for operator events) or `/compensation-failure-webhooks`;
   * the answer carries the signing secret.
   */
  addWebhook(kind: WebhookEndpointKind, url: string): Promise<WebhookEndpointOut> {
    if (kind === 'operator') return this.request('POST', '/webhooks', { url, kind });
    return this.request('POST', kind === 'orchestration' ? '/webhooks' : '/compensation-failure-webhooks', {
      url,
    });
  }

  /** `GET /webhooks[?kind=]`: the project's endpoints, without secrets. */
  listWebhooks(kind?: WebhookEndpointKind): Promise<WebhookEndpointOut[]> {
    return this.request('GET', `/webhooks${query({ kind })}`);
  }

  /** `GET /webhooks/{id}`: one endpoint, with its signing secret. */
  getWebhook(id: string): Promise<WebhookEndpointOut> {
    return this.request('GET', `/webhooks/${enc(id)}`);
  }

  /** `DELETE /webhooks/{id}`. */
  async deleteWebhook(id: string): Promise<void> {
    await this.request('DELETE', `/webhooks/${enc(id)}`);
  }

  /**
   * `POST /webhooks/{id}/enable`: re-enables a disabled endpoint (410 Gone, or failing too long). The
   * events it held are sent, unless `discardHeld` (then they end `skipped`).
   */
  enableWebhook(id: string, options: { discardHeld?: boolean } = {}): Promise<WebhookEndpointOut> {
    return this.request('POST', `/webhooks/${enc(id)}/enable`, options.discardHeld ? { discard_held: true } : {});
  }

  /** `POST /webhooks/{id}/disable`: nothing more is sent to the endpoint until `enableWebhook`. */
  disableWebhook(id: string): Promise<WebhookEndpointOut> {
    return this.request('POST', `/webhooks/${enc(id)}/disable`, {});
  }

  /** `POST /webhooks/{id}/pause`: nothing is sent to the endpoint (events are held) until `resumeWebhook`. */
  pauseWebhook(id: string): Promise<WebhookEndpointOut> {
    return this.request('POST', `/webhooks/${enc(id)}/pause`, {});
  }

  /** `POST /webhooks/{id}/resume`: sends the held events again, slow-starting. */
  resumeWebhook(id: string): Promise<WebhookEndpointOut> {
    return this.request('POST', `/webhooks/${enc(id)}/resume`, {});
  }

  /** `POST /webhooks/{id}/rotate-secret`: a new signing secret; the old one keeps signing until `previousSecretExpiresAt`. */
  rotateWebhookSecret(id: string): Promise<RotateSecretOut> {
    return this.request('POST', `/webhooks/${enc(id)}/rotate-secret`, {});
  }

  /** `POST /webhooks/{id}/recover`: queues again every delivery to the endpoint that failed since `since` (RFC 3339). */
  recoverWebhook(id: string, since: string): Promise<RequeueOut> {
    return this.request('POST', `/webhooks/${enc(id)}/recover`, { since });
  }

  /** `POST /webhooks/{id}/test`: one `webhook.test` attempt, no retries. */
  testWebhook(id: string): Promise<WebhookTestOut> {
    return this.request('POST', `/webhooks/${enc(id)}/test`, {});
  }

  /** `GET /webhooks/deliveries`: newest first, one page. */
  listWebhookDeliveries(filter: WebhookDeliveryFilter = {}): Promise<WebhookDeliveryPageOut> {
    const { orchestration, ...rest } = filter;
    return this.request('GET', `/webhooks/deliveries${query({ ...rest, orchestration_id: orchestration })}`);
  }

  /** `GET /webhooks/events/{event_id}`: the exact body sent and every attempt per endpoint. */
  getWebhookEvent(eventId: string): Promise<WebhookEventOut> {
    return this.request('GET', `/webhooks/events/${enc(eventId)}`);
  }

  /** `POST /webhooks/events/{event_id}/redeliver`, to every endpoint of the event or to one. */
  redeliverWebhookEvent(eventId: string, endpoint?: string): Promise<RequeueOut> {
    return this.request(
      'POST',
      `/webhooks/events/${enc(eventId)}/redeliver`,
      endpoint === undefined ? {} : { endpoint },
    );
  }

  /** `POST /groundings`: applies (or, with a new version, replaces) a grounding spec. */
  applyGrounding(spec: GroundingSpecIn): Promise<GroundingSpecOut> {
    return this.request('POST', '/groundings', spec);
  }

  /** `GET /groundings`, sorted by name; the engine sends `null` for none, returned as `[]`. */
  async listGroundings(): Promise<GroundingSpecOut[]> {
    return (await this.request<GroundingSpecOut[] | null>('GET', '/groundings')) ?? [];
  }

  /** `DELETE /groundings/{name}`, or every spec of the project when `name` is omitted. */
  async removeGrounding(name?: string): Promise<void> {
    await this.request('DELETE', name === undefined ? '/groundings' : `/groundings/${enc(name)}`);
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
    const { status, text } = await this.send(method, path, body, options);
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new OrraApiError(`${method} ${path} answered ${status} with a body that is not JSON`, { status });
    }
  }

  /** One HTTP exchange: throws for unreachable engines and non-2xx answers, else returns the raw answer. */
  private async send(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
    const url = `${this.baseUrl}${path}`;
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    const bearer = options.bearer ?? this.apiKey;
    if (bearer) headers.authorization = `Bearer ${bearer}`;
    if (this.client) headers['x-orra-client'] = this.client;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let status: number;
    let responseHeaders: IncomingHttpHeaders;
    let text: string;
    try {
      const response = await httpRequest(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.statusCode;
      responseHeaders = response.headers;
      text = await response.body.text();
    } catch (err) {
      throw connectionError(err, method, url, this.timeoutMs);
    }
    if (status < 200 || status > 299) throw apiErrorFromResponse(status, STATUS_CODES[status] ?? '', text);
    return { status, headers: responseHeaders, text };
  }
}

const enc = encodeURIComponent;

/** `?a=1&b=x` from the defined, non-empty values (empty string when none). */
function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}

function connectionError(err: unknown, method: string, url: string, timeoutMs: number): OrraConnectionError {
  const name = (err as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new OrraConnectionError(`${method} ${url} timed out after ${timeoutMs} ms`, url, { cause: err, reason: 'timed out' });
  }
  // undici names the reason (ECONNREFUSED, ENOTFOUND…) in `code`, sometimes on a wrapped `cause`.
  const e = err as { code?: string; cause?: { code?: string; message?: string } } | null;
  const reason = (e?.code && !e.code.startsWith('UND_ERR_') ? e.code : undefined) ?? e?.cause?.code ?? e?.cause?.message ?? (err instanceof Error ? err.message : String(err));
  return new OrraConnectionError(`cannot reach the orra engine at ${url}: ${reason}`, url, { cause: err, reason });
}
