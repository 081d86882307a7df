// Policy options, checked against each policy's own schema: every bad field is reported at once,
// in one OffloadError(InvalidArgument), so a user fixes a policy's options in one go.

import { invalid } from '../../table/errors.js';
import { typeName } from '../../table/address.js';

/** One option of a policy. */
export type OptionSpec =
  | { type: 'integer' | 'number'; min: number; max?: number; default: number; description: string }
  | { type: 'boolean'; default: boolean; description: string };

/** A policy's options: name -> spec. */
export type PolicySchema = Record<string, OptionSpec>;

/** The options as the schema resolves them (defaults filled in). */
export type Resolved<S extends PolicySchema> = { [K in keyof S]: S[K] extends { type: 'boolean' } ? boolean : number };

/** Every problem with `options`, one line each ('bytes: must be ...'); empty when they are fine. */
export function optionProblems(schema: PolicySchema, options: unknown): string[] {
  if (options === undefined) return [];
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return [`options must be an object, got ${typeName(options)}`];
  const problems: string[] = [];
  const known = Object.keys(schema);
  for (const name of Object.keys(options)) {
    if (!(name in schema)) problems.push(`${name}: not an option (known: ${known.join(', ') || 'none'})`);
  }
  for (const [name, spec] of Object.entries(schema)) {
    const v = (options as Record<string, unknown>)[name];
    if (v === undefined) continue;
    if (spec.type === 'boolean') {
      if (typeof v !== 'boolean') problems.push(`${name}: must be true or false, got ${typeName(v)}`);
      continue;
    }
    const range = `${spec.min}..${spec.max ?? 'any'}`;
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      (spec.type === 'integer' && !Number.isInteger(v)) ||
      v < spec.min ||
      (spec.max !== undefined && v > spec.max)
    ) {
      problems.push(`${name}: must be ${spec.type === 'integer' ? 'an integer' : 'a number'} in ${range}, got ${typeName(v)}`);
    }
  }
  return problems;
}

/** The options with defaults, or throws OffloadError(InvalidArgument) naming every bad field. */
export function readOptions<S extends PolicySchema>(policy: string, schema: S, options: unknown): Resolved<S> {
  const problems = optionProblems(schema, options);
  if (problems.length) invalid(`policy '${policy}': ${problems.length === 1 ? 'a bad option' : `${problems.length} bad options`}: ${problems.join('; ')}`);
  const out: Record<string, number | boolean> = {};
  for (const [name, spec] of Object.entries(schema)) out[name] = (options as Record<string, number | boolean> | undefined)?.[name] ?? spec.default;
  return out as Resolved<S>;
}
