/** A minimal HTTP helper for tests: real requests to the real engine, JSON in and out. */
export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class Api {
  constructor(
    readonly baseUrl: string,
    readonly apiKey?: string,
  ) {}

  withKey(apiKey: string): Api {
    return new Api(this.baseUrl, apiKey);
  }

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    raw?: string,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
        ...headers,
      },
      body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }

  post<T = any>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body);
  }

  delete<T = any>(path: string) {
    return this.request<T>('DELETE', path);
  }
}

let projectCount = 0;

/**
 * Registers a project and returns an Api bound to its key. Project names are unique per engine, so
 * the name is made unique with a number (`name-3`).
 */
export async function newProject(baseUrl: string, name = 'test-project'): Promise<{ api: Api; projectId: string; apiKey: string }> {
  const res = await new Api(baseUrl).post('/register/project', { name: `${name}-${++projectCount}` });
  if (res.status !== 201) throw new Error(`project registration failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { api: new Api(baseUrl, res.body.apiKey), projectId: res.body.id, apiKey: res.body.apiKey };
}
