import { describe, expect, it } from "vitest";
import { CronSyntaxError, parseNcrontab } from "../../local/host/ncrontab";
import { parseRoute } from "../../local/host/routes";

const next = (expression: string, after: string) => parseNcrontab(expression).next(new Date(after)).toISOString();

describe("NCRONTAB schedules", () => {
  it.each([
    ["0 */5 * * * *", "2026-01-01T10:02:30Z", "2026-01-01T10:05:00.000Z"],
    ["0 0 3 * * *", "2026-01-01T03:00:00Z", "2026-01-02T03:00:00.000Z"],
    ["*/10 * * * * *", "2026-01-01T00:00:05Z", "2026-01-01T00:00:10.000Z"],
    ["0 30 9 * * MON-FRI", "2026-01-03T12:00:00Z", "2026-01-05T09:30:00.000Z"],
    ["0 0 0 1 JAN *", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00.000Z"],
    ["0 0 12 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T12:00:00.000Z"],
    ["0 0 0 13 * 5", "2026-01-01T00:00:00Z", "2026-02-13T00:00:00.000Z"],
    ["0 15,45 8-10/2 * * *", "2026-01-01T08:20:00Z", "2026-01-01T08:45:00.000Z"],
  ])("%s after %s is %s", (expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });

  it("names what is wrong with a bad schedule", () => {
    expect(() => parseNcrontab("0 */5 * * *")).toThrow(/must have 6 fields/);
    expect(() => parseNcrontab("0 61 * * * *")).toThrow(/minute value "61" must be 0-59/);
    expect(() => parseNcrontab("0 0 0 * * FUNDAY")).toThrow(CronSyntaxError);
    expect(() => parseNcrontab("0 0 0 31 2 *").next(new Date())).toThrow(/never occurs/);
  });
});

describe("route templates", () => {
  it("matches literals case-insensitively and binds parameters", () => {
    const route = parseRoute("environments/{env}/provision");
    expect(route.match("/Environments/dev%2D1/provision")).toEqual({ env: "dev-1" });
    expect(route.match("/environments/dev")).toBeUndefined();
    expect(route.match("/environments/dev/provision/extra")).toBeUndefined();
  });

  it("supports optional, defaulted, constrained and catch-all parameters", () => {
    expect(parseRoute("items/{id:int}").match("/items/12")).toEqual({ id: "12" });
    expect(parseRoute("items/{id:int}").match("/items/x")).toBeUndefined();
    expect(parseRoute("items/{id?}").match("/items")).toEqual({});
    expect(parseRoute("items/{page=1}").match("/items")).toEqual({ page: "1" });
    expect(parseRoute("files/{*path}").match("/files/a/b%20c")).toEqual({ path: "a/b c" });
  });
});
