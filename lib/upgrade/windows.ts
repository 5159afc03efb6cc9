import type { MaintenanceWindowSpec } from "../spec";

/**
 * Weekly maintenance windows, pure. A window opens on `dayOfWeek` at `startTime` in `utcOffset` and lasts
 * `durationHours` (AKS's `maintenanceWindow` with a weekly schedule of interval 1).
 */

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;
const DAY_MS = 86_400_000;

function offsetMs(utcOffset: string): number {
  const m = /^([+-])(\d\d):(\d\d)$/.exec(utcOffset);
  if (!m) return 0;
  return (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
}

export interface WindowState {
  open: boolean;
  /** The open window's start, or the next one's. */
  start: Date;
  end: Date;
}

/** Whether `now` is inside the window, and when the current or next window starts and ends. */
export function windowAt(window: MaintenanceWindowSpec, now: Date): WindowState {
  const offset = offsetMs(window.utcOffset);
  const [h, m] = window.startTime.split(":").map(Number) as [number, number];
  const local = new Date(now.getTime() + offset);
  const localMidnight = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  const day = DAYS.indexOf(window.dayOfWeek);
  const duration = window.durationHours * 3_600_000;
  // The window start in this local week, then the previous and next weeks: the one that contains or follows now.
  const thisWeek = localMidnight + ((day - local.getUTCDay() + 7) % 7) * DAY_MS + (h * 60 + m) * 60_000 - offset;
  for (const start of [thisWeek - 7 * DAY_MS, thisWeek, thisWeek + 7 * DAY_MS]) {
    if (now.getTime() < start + duration)
      return { open: now.getTime() >= start, start: new Date(start), end: new Date(start + duration) };
  }
  /* c8 ignore next -- unreachable: thisWeek + 7 days is always after now */
  throw new Error("no maintenance window found");
}

export function describeWindow(window: MaintenanceWindowSpec): string {
  return `${window.dayOfWeek}s ${window.startTime} (UTC${window.utcOffset}) for ${window.durationHours} h`;
}
