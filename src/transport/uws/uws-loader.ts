// Finds a native uWebSockets.js build, or says why there is none. The package is an optional
// dependency installed under the module name `uWebSockets.js`; its own entry point is not used:
// some republishes fall back silently (a console warning) to a slow JavaScript emulation when their
// binary cannot load, and that emulation must count as "uWS not available". So the binary for this
// platform, architecture and Node ABI is required directly, from the package root (the official
// GitHub layout) or its `binaries/` folder (the npm republish we depend on).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Uws from 'uWebSockets.js';

export type UwsModule = typeof Uws;

export type UwsLoad =
  { readonly ok: true; readonly uws: UwsModule } | { readonly ok: false; readonly reason: string };

const require = createRequire(import.meta.url);
let cached: UwsLoad | undefined;

/** The native module's file name for this process (e.g. `uws_linux_x64_115.node`). */
export function nativeBinaryName(): string {
  return `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
}

/**
 * Loads the native uWS module once per process. `packageDir` (tests) looks in another directory
 * instead of the installed package; `env` is read for UWS_USE_FALLBACK, which asks the package for its
 * emulation and therefore means "no native uWS" here.
 */
export function loadUws(options: { packageDir?: string; env?: NodeJS.ProcessEnv } = {}): UwsLoad {
  const useCache = options.packageDir === undefined && options.env === undefined;
  if (useCache && cached) return cached;
  const result = tryLoad(options.packageDir, options.env ?? process.env);
  if (useCache) cached = result;
  return result;
}

function tryLoad(packageDir: string | undefined, env: NodeJS.ProcessEnv): UwsLoad {
  const fallback = env.UWS_USE_FALLBACK;
  if (fallback !== undefined && ['1', 'true'].includes(fallback.toLowerCase()))
    return { ok: false, reason: 'UWS_USE_FALLBACK is set (it selects the JavaScript emulation)' };
  let dir = packageDir;
  if (dir === undefined) {
    try {
      dir = dirname(require.resolve('uWebSockets.js/package.json'));
    } catch {
      return { ok: false, reason: 'the optional dependency uWebSockets.js is not installed' };
    }
  }
  const name = nativeBinaryName();
  const candidates = [join(dir, name), join(dir, 'binaries', name)];
  const path = candidates.find((candidate) => existsSync(candidate));
  if (path === undefined)
    return {
      ok: false,
      reason: `no native build ${name} in ${dir} (this Node, platform or CPU is not covered)`,
    };
  try {
    const uws = require(path) as UwsModule;
    if (typeof uws.App !== 'function' || typeof uws.SSLApp !== 'function')
      return { ok: false, reason: `${path} is not a uWebSockets.js build` };
    return { ok: true, uws };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { ok: false, reason: `${name} could not load: ${message ?? ''}` };
  }
}
