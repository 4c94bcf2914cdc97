import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { ErrorNote } from '../components.js';
import { navigate, route } from '../router.js';
import { loadSession } from '../session.js';

/** Where to go after signing in: only a console path (never another site). */
function nextPath(): string {
  const next = route.value.query.get('next') ?? '';
  return next.startsWith('/console') && !next.startsWith('/console/sign-in') ? next : '/console';
}

export function SignIn() {
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<unknown>();
  const [isBusy, setBusy] = useState(false);

  const finish = async (body: unknown) => {
    setBusy(true);
    setError(undefined);
    try {
      await api.post('/console/session', body);
      await loadSession();
      navigate(nextPath(), true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  // A one-time link carries its token in the fragment, which browsers never send to a server or a log.
  useEffect(() => {
    const link = new URLSearchParams(location.hash.slice(1)).get('link');
    if (!link) return;
    history.replaceState(null, '', location.pathname + location.search);
    void finish({ link });
  }, []);

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to the orra console</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void finish({ apiKey });
        }}
      >
        <label for="api-key">Project API key</label>
        <input id="api-key" name="apiKey" type="password" autocomplete="off" value={apiKey} onInput={(e) => setApiKey(e.currentTarget.value)} required />
        <button type="submit" disabled={isBusy}>
          Sign in
        </button>
      </form>
      <ErrorNote error={error} />
      <p class="muted">
        Or run <code>orra console</code>: it prints a link that signs you in once, within 60 s, without pasting a key. A read-only key
        (<code>orra api-keys gen NAME --read-only</code>) can look but not act.
      </p>
    </main>
  );
}
