import './styles.css';
import type { JSX } from 'preact';
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, setCsrfToken, setUnauthorizedHandler } from './api.js';
import type { Account, Plan, SessionInfo, Usage } from './api.js';
import { Link, navigate, usePath } from './router.js';
import { SessionContext } from './session.js';
import { LoginPage } from './pages/login-page.js';
import { AppsPage } from './pages/apps-page.js';
import { AppPage } from './pages/app-page.js';
import { AccountPage } from './pages/account-page.js';
import { Loading } from './components/controls.js';

function Redirect({ to }: { to: string }): JSX.Element {
  useEffect(() => {
    navigate(to, true);
  }, [to]);
  return <Loading />;
}

function UsageBanner({ usage }: { usage: Usage | undefined }): JSX.Element | null {
  if (!usage) return null;
  const ratios: string[] = [];
  if (usage.message_quota && usage.messages >= 0.8 * usage.message_quota) {
    ratios.push(`${Math.floor((usage.messages / usage.message_quota) * 100)} % of today's message quota`);
  }
  if (usage.connection_quota && usage.connections >= 0.8 * usage.connection_quota) {
    ratios.push(
      `${Math.floor((usage.connections / usage.connection_quota) * 100)} % of the connection limit`,
    );
  }
  if (ratios.length === 0) return null;
  return (
    <div class="banner warn" role="alert">
      Your account has used {ratios.join(' and ')}. At 100 % new connections and publishes are refused.{' '}
      <Link href="/account">See plan and usage</Link>
    </div>
  );
}

function Shell({ session, onSignOut }: { session: SessionInfo; onSignOut: () => void }): JSX.Element {
  const path = usePath();
  const [account, setAccount] = useState<Account>();
  const [plan, setPlan] = useState<Plan>();
  const [usage, setUsage] = useState<Usage>();
  const [navOpen, setNavOpen] = useState(false);

  const refreshAccount = useCallback(() => {
    void Promise.all([api.account(), api.plans().catch(() => ({ plans: [] as Plan[] }))])
      .then(([acc, plans]) => {
        setAccount(acc);
        setPlan(plans.plans.find((p) => p.name === acc.plan));
      })
      .catch(() => undefined);
    api.usage().then(setUsage, () => undefined);
  }, []);
  useEffect(refreshAccount, [refreshAccount]);
  const firstPath = useRef(path);
  useEffect(() => {
    setNavOpen(false);
    // After a client-side navigation, move focus to the new content (as a page load would).
    if (path !== firstPath.current) {
      firstPath.current = '';
      document.getElementById('main')?.focus({ preventScroll: true });
    }
  }, [path]);

  let page: JSX.Element;
  const appMatch = /^\/apps\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (path === '/' || path === '/login') {
    page = <Redirect to="/apps" />;
  } else if (path === '/apps') {
    page = <AppsPage />;
  } else if (appMatch?.[1]) {
    page = (
      <AppPage key={appMatch[1]} appId={decodeURIComponent(appMatch[1])} tab={appMatch[2] ?? 'overview'} />
    );
  } else if (path.startsWith('/account')) {
    page = <AccountPage tab={path.split('/')[2] ?? 'plan'} usage={usage} />;
  } else {
    page = (
      <section>
        <h1>Page not found</h1>
        <p>
          <Link href="/apps">Back to your apps</Link>
        </p>
      </section>
    );
  }

  const top = path.split('/')[1];
  return (
    <SessionContext.Provider value={{ session, account, plan, refreshAccount }}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/apps" class="brand">
          Mawjly
        </Link>
        <button
          type="button"
          class="menu-button secondary small"
          aria-expanded={navOpen}
          aria-controls="main-nav"
          onClick={() => {
            setNavOpen(!navOpen);
          }}
        >
          Menu
        </button>
        <nav id="main-nav" aria-label="Main" class={navOpen ? 'open' : ''}>
          <Link href="/apps" aria-current={top === 'apps' ? 'page' : undefined}>
            Apps
          </Link>
          <Link href="/account" aria-current={top === 'account' ? 'page' : undefined}>
            Account
          </Link>
          <span class="who" title={`Signed in as ${session.user.email} (${session.role})`}>
            {session.user.email} · {session.role}
            {account ? ` · ${account.plan}` : ''}
          </span>
          <button type="button" class="secondary small" onClick={onSignOut}>
            Sign out
          </button>
        </nav>
      </header>
      <UsageBanner usage={usage} />
      <main id="main" tabIndex={-1}>
        {page}
      </main>
    </SessionContext.Provider>
  );
}

function Root(): JSX.Element {
  const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
  const load = useCallback(() => {
    api.session().then(
      (s) => {
        if (s.user === null) {
          setCsrfToken('');
          setSession(null);
          return;
        }
        setCsrfToken(s.csrf_token);
        setSession(s);
      },
      () => {
        setCsrfToken('');
        setSession(null);
      },
    );
  }, []);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken('');
      setSession(null);
    });
    load();
  }, [load]);

  if (session === undefined) return <Loading />;
  if (session === null) return <LoginPage onSignedIn={load} />;
  const signOut = (): void => {
    void api
      .signOut()
      .catch(() => undefined)
      .then(() => {
        setCsrfToken('');
        setSession(null);
        navigate('/login', true);
      });
  };
  return <Shell session={session} onSignOut={signOut} />;
}

const mount = document.getElementById('app');
if (mount) {
  mount.textContent = '';
  render(<Root />, mount);
}
