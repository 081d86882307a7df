// The built-in offload policies, and loading a user's own: from code (an OffloadPolicy object) or
// from a JS module whose default export is a PolicyFactory or an OffloadPolicy.

import { invalid } from '../../table/errors.js';
import { typeName } from '../../table/address.js';
import type { OffloadPolicy, PolicyFactory } from '../policy.js';
import { eager } from './eager.js';
import { threshold } from './threshold.js';
import { rebalance } from './rebalance.js';

export { eager, threshold, rebalance };
export type { EagerOptions } from './eager.js';
export type { ThresholdOptions } from './threshold.js';
export type { RebalanceOptions } from './rebalance.js';
export { readOptions, optionProblems, type PolicySchema, type OptionSpec } from './options.js';

/** The built-in policy factories by name. */
export const policies: Readonly<Record<string, PolicyFactory<never>>> = Object.freeze({ eager, threshold, rebalance });

/** Checks that `value` is an OffloadPolicy (a name and a tick function); returns it. */
export function readOffloadPolicy(value: unknown, what: string): OffloadPolicy {
  const p = value as OffloadPolicy | null;
  if (p === null || typeof p !== 'object' || typeof p.tick !== 'function' || typeof p.name !== 'string') {
    invalid(`${what}: expected an OffloadPolicy ({ name: string, tick(context) }), e.g. threshold.create({ bytes: 131072 }), got ${typeName(value)}`);
  }
  return p;
}

function isFactory(value: unknown): value is PolicyFactory<unknown> {
  const f = value as PolicyFactory<unknown> | null;
  return f !== null && typeof f === 'object' && typeof f.create === 'function' && typeof f.name === 'string';
}

/**
 * A policy by name: a built-in ('eager', 'threshold', 'rebalance') or a JS module (a path or URL:
 * './my-policy.mjs', '/abs/path.mjs', 'file:///...', or a package name) whose default export is a
 * PolicyFactory (created with `options`) or an OffloadPolicy (then `options` must be empty).
 * Relative paths resolve against the working directory (in Node) or the page (in a browser).
 */
export async function loadPolicy(specifier: string, options?: Record<string, unknown>): Promise<OffloadPolicy> {
  if (typeof specifier !== 'string' || specifier === '')
    invalid(`loadPolicy: specifier must be a policy name (${Object.keys(policies).join(', ')}) or a module path, got ${typeName(specifier)}`);
  const builtIn = Object.hasOwn(policies, specifier) ? policies[specifier] : undefined;
  if (builtIn) return (builtIn as PolicyFactory<Record<string, unknown> | undefined>).create(options);
  if (!/[./\\:]/.test(specifier))
    invalid(`loadPolicy: '${specifier}' is not a built-in policy (${Object.keys(policies).join(', ')}); give a module path like ./my-policy.mjs`);
  let module: { default?: unknown };
  const url = moduleUrl(specifier);
  try {
    module = (await import(/* @vite-ignore */ url)) as { default?: unknown };
  } catch (error) {
    invalid(`loadPolicy: cannot import '${specifier}' (${url}): ${error instanceof Error ? error.message : String(error)}`);
  }
  const exported = module.default;
  if (isFactory(exported))
    return readOffloadPolicy((exported as PolicyFactory<Record<string, unknown> | undefined>).create(options), `loadPolicy: ${specifier}: create() returned`);
  if (exported !== null && typeof exported === 'object' && typeof (exported as OffloadPolicy).tick === 'function') {
    if (options && Object.keys(options).length)
      invalid(`loadPolicy: ${specifier} exports a policy object, which takes no options (export a PolicyFactory to take options)`);
    return readOffloadPolicy(exported, `loadPolicy: ${specifier}`);
  }
  invalid(
    `loadPolicy: the default export of ${specifier} must be a PolicyFactory ({ name, description, create(options) }) or an OffloadPolicy ({ name, tick(context) }), got ${typeName(exported)}`,
  );
}

/** A file path as a URL import() accepts; relative ones against the working directory in Node. */
function moduleUrl(specifier: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(specifier) || specifier.startsWith('data:')) return specifier;
  const cwd = (globalThis as { process?: { cwd?: () => string } }).process?.cwd?.();
  const relative = specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('.\\') || specifier.startsWith('..\\');
  const absolute = specifier.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(specifier);
  if (cwd === undefined) return relative && typeof location !== 'undefined' ? new URL(specifier, location.href).href : specifier;
  if (!relative && !absolute) return specifier; // a package name
  const base = `file://${cwd.startsWith('/') ? '' : '/'}${cwd.replace(/\\/g, '/').replace(/\/?$/, '/')}`;
  const path = specifier.replace(/\\/g, '/');
  return new URL(absolute ? `file://${path.startsWith('/') ? '' : '/'}${path}` : path, base).href;
}
