// A small history router: the dashboard lives under /dashboard and every page has its own URL.
import type { ComponentChildren, HTMLAttributes, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

export const ROOT = '/dashboard';
const listeners = new Set<() => void>();

export function navigate(path: string, replace = false): void {
  const url = path.startsWith(ROOT) ? path : ROOT + path;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const l of listeners) l();
}

/** The current path below /dashboard, e.g. "/apps/42/keys" ("/" for the root). */
export function currentPath(): string {
  const path = location.pathname.startsWith(ROOT) ? location.pathname.slice(ROOT.length) : location.pathname;
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const update = (): void => {
      setPath(currentPath());
    };
    listeners.add(update);
    // A child may have navigated (e.g. a redirect) before this listener existed.
    update();
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return path;
}

interface LinkProps extends Omit<HTMLAttributes<HTMLAnchorElement>, 'href'> {
  href: string;
  children: ComponentChildren;
}

export function Link({ href, children, ...rest }: LinkProps): JSX.Element {
  const onClick = (e: MouseEvent): void => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
    window.scrollTo(0, 0);
  };
  return (
    <a href={ROOT + href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
