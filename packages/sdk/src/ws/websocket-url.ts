/**
 * The engine's WebSocket URL for a service: the API base URL with its scheme swapped
 * (`http`→`ws`, `https`→`wss`), path `/ws`, and the query values URL-encoded (orra's SDK does not
 * encode them, which breaks keys or ids with reserved characters).
 */
export function toWebSocketUrl(baseUrl: string, serviceId: string, apiKey: string): string {
  const url = new URL(baseUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new TypeError(`unsupported orraUrl scheme "${url.protocol}" (expected http or https)`);
  }
  // Keep any base path (an engine behind a reverse proxy under /orra) and drop a trailing slash.
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws`;
  url.search = `?serviceId=${encodeURIComponent(serviceId)}&apiKey=${encodeURIComponent(apiKey)}`;
  url.hash = '';
  return url.toString();
}

/** The URL without its query, for logs: the query carries the API key. */
export function redactWebSocketUrl(wsUrl: string): string {
  const url = new URL(wsUrl);
  url.search = '';
  return url.toString();
}
