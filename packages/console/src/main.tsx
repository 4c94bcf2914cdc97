import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, preload } from './api.js';
import { timeZone } from './format.js';
import { liveMode, POLL_MS, startLive, stopLive } from './live.js';
import { navigate, onLinkClick, route } from './router.js';
import { loadSession, session } from './session.js';
import { Activity } from './screens/activity.js';
import { Compensation, Compensations } from './screens/compensations.js';
import { Orchestration } from './screens/orchestration.js';
import { listFilter, Orchestrations, searchPath } from './screens/orchestrations.js';
import { OVERVIEW_PATHS, OverviewPage } from './screens/overview.js';
import { Services } from './screens/services.js';
import { SignIn } from './screens/sign-in.js';
import { Webhooks } from './screens/webhooks.js';
import './styles.css';

type Theme = 'system' | 'light' | 'dark';

function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

const NAV = [
  ['/console', 'Overview'],
  ['/console/orchestrations', 'Orchestrations'],
  ['/console/compensations', 'Failed compensations'],
  ['/console/webhooks', 'Webhooks'],
  ['/console/services', 'Services'],
  ['/console/activity', 'Activity'],
] as const;

function Screen() {
  const path = route.value.path.replace(/\/+$/, '') || '/console';
  const [, section, id] = /^\/console(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path) ?? [];
  if (section === 'orchestrations') return id ? <Orchestration id={decodeURIComponent(id)} /> : <Orchestrations />;
  if (section === 'compensations') return id ? <Compensation id={decodeURIComponent(id)} /> : <Compensations />;
  if (section === 'webhooks') return <Webhooks />;
  if (section === 'activity') return <Activity />;
  if (section === 'services') return <Services />;
  if (!section) return <OverviewPage />;
  return <p>No such page. </p>;
}

const HELP: [string, string][] = [
  ['/', 'search or filter'],
  ['j / k', 'next / previous row'],
  ['Enter', 'open the row'],
  ['?', 'this help'],
];

function Help({ onClose }: { onClose: () => void }) {
  return (
    <div class="help" role="dialog" aria-modal="true" aria-labelledby="help-title">
      <h2 id="help-title">Keyboard</h2>
      <dl>
        {HELP.map(([k, v]) => (
          <>
            <dt>
              <kbd>{k}</kbd>
            </dt>
            <dd>{v}</dd>
          </>
        ))}
      </dl>
      <button type="button" onClick={onClose} autoFocus>
        Close
      </button>
    </div>
  );
}

/** `/` focuses the search, `j`/`k` move between rows, Enter opens (the row's link), `?` shows help. */
function useKeyboard(setHelp: (v: boolean) => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      if (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || e.metaKey || e.ctrlKey || e.altKey) {
        if (e.key === 'Escape') target.blur();
        return;
      }
      if (e.key === '/') {
        const search = document.querySelector<HTMLElement>('[data-search]');
        if (search) {
          e.preventDefault();
          search.focus();
        }
      } else if (e.key === '?') {
        setHelp(true);
      } else if (e.key === 'Escape') {
        setHelp(false);
      } else if (e.key === 'j' || e.key === 'k') {
        const links = [...document.querySelectorAll<HTMLElement>('table.nav a.row-link')];
        if (links.length === 0) return;
        const at = links.indexOf(document.activeElement as HTMLElement);
        const next = e.key === 'j' ? Math.min(links.length - 1, at + 1) : Math.max(0, at - 1);
        links[next]?.focus();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
}

function App() {
  const [theme, setTheme] = useState<Theme>((localStorage.getItem('orra.theme') as Theme | null) ?? 'system');
  const [isHelp, setHelp] = useState(false);
  useKeyboard(setHelp);
  useEffect(() => applyTheme(theme), [theme]);
  const isSignIn = route.value.path.startsWith('/console/sign-in');
  useEffect(() => {
    if (!isSignIn && !session.value) void loadSession().catch(() => undefined);
  }, [isSignIn]);
  const isSignedIn = !isSignIn && session.value !== null;
  useEffect(() => (isSignedIn ? startLive() : stopLive()), [isSignedIn]);
  if (isSignIn) return <SignIn />;
  const current = route.value.path.replace(/\/+$/, '');
  return (
    <div onClick={onLinkClick} data-live={liveMode.value}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/console">
          orra console
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([href, label]) => (
              <li>
                <a href={href} aria-current={(href === '/console' ? current === href : current.startsWith(href)) ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="prefs">
          {session.value && (
            <span class="role" data-role={session.value.role}>
              {session.value.keyLabel ?? 'key'} · {session.value.role === 'read' ? 'read-only' : 'operate'}
            </span>
          )}
          <label>
            <span class="sr-only">Theme</span>
            <select
              value={theme}
              onChange={(e) => {
                const t = e.currentTarget.value as Theme;
                localStorage.setItem('orra.theme', t);
                setTheme(t);
              }}
            >
              <option value="system">system theme</option>
              <option value="light">light</option>
              <option value="dark">dark</option>
            </select>
          </label>
          <label>
            <span class="sr-only">Times</span>
            <select
              value={timeZone.value}
              onChange={(e) => {
                timeZone.value = e.currentTarget.value as 'local' | 'utc';
                localStorage.setItem('orra.tz', timeZone.value);
              }}
            >
              <option value="local">local time</option>
              <option value="utc">UTC</option>
            </select>
          </label>
          <button
            type="button"
            onClick={() => {
              void api.delete('/console/session').finally(() => navigate('/console/sign-in'));
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      {liveMode.value === 'polling' && (
        <p class="live-note" role="note">
          The live event stream cannot be reached: open pages refresh every {POLL_MS / 1000} s while this tab is visible, until it is back.
        </p>
      )}
      <main id="main">
        <Screen />
      </main>
      {isHelp && <Help onClose={() => setHelp(false)} />}
    </div>
  );
}

// The first screen's data is asked for before the first render: a screen's own request would leave only
// after the first paint, when its effects run (bench/README.md, console: "page usable").
// The first frame waits for that data, at most FIRST_FRAME_WAIT_MS: on a near engine it comes in tens of
// ms, and a frame with the rows costs less than a "Loading…" frame, its paint and then the rows.
const FIRST_FRAME_WAIT_MS = 250;
const startPath = route.value.path.replace(/\/+$/, '') || '/console';
const firstData =
  startPath === '/console/orchestrations'
    ? preload(searchPath(listFilter(route.value.query)))
    : startPath === '/console'
      ? Promise.all(OVERVIEW_PATHS.map((path) => preload(path)))
      : Promise.resolve();
void Promise.race([firstData, new Promise((resolve) => setTimeout(resolve, FIRST_FRAME_WAIT_MS))]).then(() => render(<App />, document.getElementById('app')!));
