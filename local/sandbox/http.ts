/** ARM-shaped replies and errors shared by the sandbox's route handlers. */

export interface ArmErrorBody {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorBody[];
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Sent instead of `body`, unserialized (an injected malformed answer). */
  raw?: string;
  headers?: Record<string, string>;
}

/** A request ARM would reject: becomes `{error:{code,message,details}}` with the status. */
export class ArmHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ArmErrorBody[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): { error: ArmErrorBody } {
    return {
      error: { code: this.code, message: this.message, ...(this.details.length ? { details: this.details } : {}) },
    };
  }
}

/** ISO 8601 duration as ARM prints it (`PT1M30.5S`). */
export function isoDuration(ms: number): string {
  const total = Math.max(0, ms) / 1000;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = Math.round((total % 60) * 1000) / 1000;
  return `PT${h ? `${h}H` : ""}${m ? `${m}M` : ""}${s || (!h && !m) ? `${s}S` : ""}`;
}
