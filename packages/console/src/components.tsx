import { useEffect, useRef, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { subscribe } from './live.js';
import { session } from './session.js';

const ICONS: Record<string, string> = {
  completed: '✓',
  succeeded: '✓',
  resolved: '✓',
  failed: '✕',
  expired: '✕',
  aborted: '■',
  cancelled: '■',
  ignored: '⊘',
  processing: '◐',
  retrying: '↻',
  pending: '○',
  paused: '❚❚',
  registered: '○',
  not_actionable: '!',
  skipped: '⊘',
  partial: '◑',
  enabled: '✓',
  connected: '●',
  disconnected: '○',
  disabled: '⊘',
  // An endpoint's circuit breaker (paused and disabled as above).
  active: '●',
  failing: '▲',
  probing: '◐',
};

/** A status as icon and text, never colour alone; the colour comes from `data-status` in the CSS. */
export function Status({ value }: { value: string }) {
  return (
    <span class="status" data-status={value}>
      <span aria-hidden="true">{ICONS[value] ?? '•'}</span> {value.replaceAll('_', ' ')}
    </span>
  );
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe to put in HTML, as content or as a quoted attribute value. */
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/** `<Status>` as an HTML string, for lists built as one string (screens/orchestrations.tsx). */
export function statusHtml(value: string): string {
  const v = escapeHtml(value);
  return `<span class="status" data-status="${v}"><span aria-hidden="true">${ICONS[value] ?? '•'}</span> ${v.replaceAll('_', ' ')}</span>`;
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      class="copy"
      aria-label={`${label}: ${text.length > 40 ? text.slice(0, 40) + '…' : text}`}
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        });
      }}
    >
      {copied ? 'Copied' : label}
    </button>
  );
}

/** The CLI command that does the same as a button, with a copy button (every action shows one). */
export function CliHint({ command, label = 'CLI' }: { command: string; label?: string }) {
  return (
    <div class="cli">
      <span class="muted">{label}:</span> <code>{command}</code> <CopyButton text={command} label="Copy command" />
    </div>
  );
}

export function Json({ value, label }: { value: unknown; label: string }) {
  const text = JSON.stringify(value, null, 2) ?? 'null';
  return (
    <div class="json">
      <div class="json-head">
        <span>{label}</span> <CopyButton text={text} label="Copy JSON" />
      </div>
      <pre tabIndex={0} aria-label={label}>
        {text}
      </pre>
    </div>
  );
}

export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </p>
  );
}

/** Whether changes are possible: a read key sees every action disabled (the API refuses them anyway). */
export const canOperate = () => session.value?.role === 'operate';

export function ReadOnlyNote() {
  if (canOperate()) return null;
  return <p class="note">This key is read-only: actions are disabled.</p>;
}

/**
 * Loads `load()` and keeps it fresh through the live module while `isLive` (say, until the item is
 * finished); `deps` reload it from scratch (a new filter or id).
 */
export function useLive<T>(
  load: () => Promise<T>,
  deps: unknown[],
  topic = '*',
  isLive: (value: T) => boolean = () => true,
  /** The value already at hand for the first render (a preloaded answer, api.ts), read once. */
  initial?: () => T | undefined,
) {
  const [state, setState] = useState<{ value?: T; error?: unknown }>(() => {
    const value = initial?.();
    return value === undefined ? {} : { value };
  });
  // The first run of the effect has nothing to load when the first render had the value.
  const hasFirst = useRef(state.value !== undefined);
  useEffect(() => {
    let isCurrent = true;
    const unsubscribe = subscribe(topic, () => refetch());
    // Finished items stop refetching: only what can still change is kept live.
    async function refetch() {
      try {
        const value = await load();
        if (!isCurrent) return;
        setState({ value });
        if (!isLive(value)) unsubscribe();
      } catch (error) {
        if (isCurrent) setState((s) => ({ ...s, error }));
      }
    }
    if (hasFirst.current) {
      hasFirst.current = false;
      if (state.value !== undefined && !isLive(state.value)) unsubscribe();
    } else {
      setState({});
      void refetch();
    }
    return () => {
      isCurrent = false;
      unsubscribe();
    };
  }, deps);
  return state;
}

export function Page({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · orra console`;
  }, [title]);
  return (
    <section class="page" aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title" tabIndex={-1}>
          {title}
        </h1>
        {actions}
      </div>
      {children}
    </section>
  );
}
