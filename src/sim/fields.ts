// Reading untrusted JSON field by field: every problem is collected with its field path, so one
// run of a validator names every bad field at once (a user fixes a file in one go, not one error
// per attempt). Used by the scenario reader and the events registry.

export class Problems {
  readonly list: string[] = [];

  fail(field: string, what: string): void {
    this.list.push(`${field}: ${what}`);
  }

  /** An object with only `known` keys; unknown keys are problems. Not an object: {} and a problem. */
  object(v: unknown, field: string, known: readonly string[]): Record<string, unknown> {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      this.fail(field, `must be an object, got ${show(v)}`);
      return {};
    }
    for (const k of Object.keys(v)) if (!known.includes(k)) this.fail(`${field}.${k}`, `unknown field (known: ${known.join(', ')})`);
    return v as Record<string, unknown>;
  }

  /** An integer in [min, max]; `fallback` when absent (absent without fallback is a problem). */
  int(v: unknown, field: string, min: number, max: number, fallback?: number): number {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(field, `must be an integer ${min}..${max}${v === undefined ? ' (missing)' : `, got ${show(v)}`}`);
      return fallback ?? min;
    }
    return v;
  }

  /** A finite number in [min, max]; `fallback` when absent. */
  num(v: unknown, field: string, min: number, max: number, fallback?: number): number {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      this.fail(field, `must be a number ${min}..${max}${v === undefined ? ' (missing)' : `, got ${show(v)}`}`);
      return fallback ?? min;
    }
    return v;
  }

  /** One of `choices`; `fallback` when absent. */
  oneOf<T extends string>(v: unknown, field: string, choices: readonly T[], fallback?: T): T {
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
      this.fail(field, `must be one of ${choices.map((c) => `"${c}"`).join(', ')}${v === undefined ? ' (missing)' : `, got ${show(v)}`}`);
      return fallback ?? choices[0]!;
    }
    return v as T;
  }
}

/** A value as a person would name it in an error message. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}
