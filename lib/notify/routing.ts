import type { NotificationsSpec } from "../spec";
import type { NotifyMessage } from "./message";

/** Checks that routes name existing channels and quiet hours name a real time zone; errors name the spec path. */
export function validateNotifications(notifications: NotificationsSpec): void {
  const names = new Set(notifications.channels.map((c) => c.name));
  notifications.routes.forEach((route, i) => {
    route.channels.forEach((name, j) => {
      if (!names.has(name)) throw new Error(`notifications.routes[${i}].channels[${j}]: no channel named "${name}"`);
    });
  });
  const tz = notifications.quietHours?.timeZone;
  if (tz !== undefined) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
    } catch {
      throw new Error(`notifications.quietHours.timeZone: "${tz}" is not an IANA time zone`);
    }
  }
}

/** Channel names for a message: the first route matching severity and environment, else every channel. */
export function routeMessage(
  message: Pick<NotifyMessage, "severity" | "environment">,
  notifications: NotificationsSpec,
): string[] {
  const route = notifications.routes.find(
    (r) =>
      r.severities.includes(message.severity) &&
      (r.environments === undefined || r.environments.includes(message.environment)),
  );
  return route ? [...route.channels] : notifications.channels.map((c) => c.name);
}

/**
 * When `now` is inside the quiet hours, the instant they end; otherwise undefined. Windows may cross midnight
 * (22:00–07:00); start equal to end means no quiet hours.
 */
export function quietHoursEnd(quietHours: NotificationsSpec["quietHours"], now: Date): Date | undefined {
  if (!quietHours) return undefined;
  const start = minutesOf(quietHours.start);
  const end = minutesOf(quietHours.end);
  if (start === end) return undefined;
  const local = localMinutes(now, quietHours.timeZone);
  const inside = start < end ? local >= start && local < end : local >= start || local < end;
  if (!inside) return undefined;
  const ahead = (end - local + 1440) % 1440;
  let candidate = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + ahead * 60_000);
  // A daylight-saving change inside the window shifts local time; correct once by the difference.
  const drift = ((localMinutes(candidate, quietHours.timeZone) - end + 720 + 1440) % 1440) - 720;
  if (drift !== 0) candidate = new Date(candidate.getTime() - drift * 60_000);
  return candidate;
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

function localMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const hour = Number(parts.find((p) => p.type === "hour")?.value ?? 0);
  const minute = Number(parts.find((p) => p.type === "minute")?.value ?? 0);
  return hour * 60 + minute;
}
