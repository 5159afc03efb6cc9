/**
 * A value ARM only knows at deployment time (reference() of a resource this deployment creates, list*(), newGuid()).
 * The engine never guesses such values: it keeps the outermost expression text so a later stage (the sandbox, a
 * what-if) can resolve or display it.
 */
export class DeferredValue {
  constructor(
    /** The full template expression that produced the value, e.g. "[reference(resourceId(...)).principalId]". */
    readonly expression: string,
    /** Why it cannot be computed offline. */
    readonly reason: string,
  ) {}

  toJSON(): { $deferred: string } {
    return { $deferred: this.expression };
  }
}

export function isDeferred(value: unknown): value is DeferredValue {
  return value instanceof DeferredValue;
}

/** First DeferredValue found anywhere inside a JSON-like value (arrays and plain objects are searched). */
export function findDeferred(value: unknown): DeferredValue | undefined {
  if (value instanceof DeferredValue) return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findDeferred(item);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) {
      const found = findDeferred(item);
      if (found) return found;
    }
  }
  return undefined;
}
