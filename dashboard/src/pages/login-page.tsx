import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, setCsrfToken } from '../api.js';
import { ErrorNote } from '../components/controls.js';

export function LoginPage({ onSignedIn }: { onSignedIn: () => void }): JSX.Element {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const res = await api.signIn(email.trim(), password);
      setCsrfToken(res.csrf_token);
      setPassword('');
      onSignedIn();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <main id="main" class="login">
      <form class="card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Mawjly</h1>
        <label for="email">Email</label>
        <input
          id="email"
          type="email"
          autocomplete="username"
          required
          value={email}
          onInput={(e) => {
            setEmail(e.currentTarget.value);
          }}
        />
        <label for="password">Password</label>
        <input
          id="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => {
            setPassword(e.currentTarget.value);
          }}
        />
        <ErrorNote error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
