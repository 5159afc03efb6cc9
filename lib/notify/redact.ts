/**
 * Webhook URLs are credentials (the path or the `sig` query parameter is the secret). They are shown only as
 * `host/…/redacted`, and every log line and error text from this module passes through a Redactor that knows the
 * configured URLs, so a URL echoed back by a server or a library error cannot leak either.
 */

/** `https://hooks.slack.com/services/T0/B0/xyz` → `hooks.slack.com/…/redacted`. */
export function displayUrl(url: string): string {
  try {
    return `${new URL(url).host}/…/redacted`;
  } catch {
    return "(unparseable URL)/…/redacted";
  }
}

const REDACTED = "…redacted";

export class Redactor {
  private fragments: string[] = [];

  constructor(urls: Iterable<string> = []) {
    for (const url of urls) this.add(url);
  }

  /** Registers a secret URL: the whole URL and every part of it that could identify it. */
  add(url: string): void {
    const found = new Set<string>([url]);
    try {
      const u = new URL(url);
      found.add(u.href);
      found.add(u.href.replace(/^[a-z]+:\/\//i, ""));
      if (u.pathname.length > 1) found.add(u.pathname + u.search);
      if (u.pathname.length > 1) found.add(u.pathname);
      if (u.search.length > 1) found.add(u.search);
      for (const segment of u.pathname.split("/")) if (isTokenLike(segment)) found.add(segment);
      for (const [, value] of u.searchParams) {
        if (isTokenLike(value)) {
          found.add(value);
          found.add(encodeURIComponent(value));
        }
      }
    } catch {
      // Not a URL: the whole string is still redacted.
    }
    this.fragments = [...new Set([...this.fragments, ...found])]
      .filter((f) => f.length > 0)
      .sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const fragment of this.fragments) out = out.split(fragment).join(REDACTED);
    return out;
  }
}

/** Ids and signatures (digits, or long), not plain path words such as `workflows` or `services`. */
function isTokenLike(part: string): boolean {
  return part.length >= 8 && (/\d/.test(part) || part.length >= 16);
}

/** A thrown value as one line of text, safe to log once redacted. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const text = `${err.name}: ${err.message}${typeof code === "string" && !err.message.includes(code) ? ` (${code})` : ""}`;
    return text.replace(/\s+/g, " ").trim();
  }
  return String(err).replace(/\s+/g, " ").trim();
}
