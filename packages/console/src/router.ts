import { signal } from '@preact/signals';

/** The current location; every screen's state (filters, selection) lives in its URL. */
export const route = signal({ path: location.pathname, query: new URLSearchParams(location.search) });

function sync(): void {
  route.value = { path: location.pathname, query: new URLSearchParams(location.search) };
}
addEventListener('popstate', sync);

/** Goes to a console URL without reloading; `replace` for filter changes that should not stack up history. */
export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  sync();
  if (!replace) scrollTo(0, 0);
}

/** Replaces some query parameters of the current URL (empty values are dropped). */
export function setQuery(changes: Record<string, string | undefined>): void {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v) q.set(k, v);
    else q.delete(k);
  }
  // Commas are kept as they are (`status=failed,aborted`), readable in a shared link.
  const s = q.toString().replace(/%2C/gi, ',');
  navigate(location.pathname + (s ? `?${s}` : ''), true);
}

/** Left clicks on internal links navigate in place; others (new tab, modifiers) do what the browser does. */
export function onLinkClick(event: MouseEvent): void {
  const a = (event.target as Element).closest('a');
  if (!a || a.target || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const href = a.getAttribute('href');
  if (!href?.startsWith('/console')) return;
  event.preventDefault();
  navigate(href);
}
