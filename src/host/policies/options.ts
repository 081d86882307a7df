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

/** One bad option: the option's name ('' for the options as a whole) and what is wrong. */
export interface OptionIssue {
  field: string;
  message: string;
}

/** Every problem with `options`, one per bad field; empty when they are fine. */
export function optionIssues(schema: PolicySchema, options: unknown): OptionIssue[] {
  if (options === undefined) return [];
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return [{ field: '', message: `must be an object, got ${typeName(options)}` }];
  const issues: OptionIssue[] = [];
  const known = Object.keys(schema);
  for (const name of Object.keys(options)) {
    if (!(name in schema)) issues.push({ field: name, message: `not an option (known: ${known.join(', ') || 'none'})` });
  }
  for (const [name, spec] of Object.entries(schema)) {
    const v = (options as Record<string, unknown>)[name];
    if (v === undefined) continue;
    if (spec.type === 'boolean') {
      if (typeof v !== 'boolean') issues.push({ field: name, message: `must be true or false, got ${typeName(v)}` });
      continue;
    }
    const range = spec.max === undefined ? `at least ${spec.min}` : `in ${spec.min}..${spec.max}`;
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      (spec.type === 'integer' && !Number.isInteger(v)) ||
      v < spec.min ||
      (spec.max !== undefined && v > spec.max)
    ) {
      issues.push({ field: name, message: `must be ${spec.type === 'integer' ? 'an integer' : 'a number'} ${range}, got ${typeName(v)}` });
    }
  }
  return issues;
}

/** Every problem with `options`, one line each ('bytes: must be ...'); empty when they are fine. */
export function optionProblems(schema: PolicySchema, options: unknown): string[] {
  return optionIssues(schema, options).map((i) => (i.field ? `${i.field}: ${i.message}` : `options ${i.message}`));
}

/** The options with defaults, or throws OffloadError(InvalidArgument) naming every bad field. */
export function readOptions<S extends PolicySchema>(policy: string, schema: S, options: unknown): Resolved<S> {
  const problems = optionProblems(schema, options);
  if (problems.length) invalid(`policy '${policy}': ${problems.length === 1 ? 'a bad option' : `${problems.length} bad options`}: ${problems.join('; ')}`);
  const out: Record<string, number | boolean> = {};
  for (const [name, spec] of Object.entries(schema)) out[name] = (options as Record<string, number | boolean> | undefined)?.[name] ?? spec.default;
  return out as Resolved<S>;
}
