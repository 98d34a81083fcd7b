import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { parseCourse } from "../../src/course/course";
import { applyPenalty, deadlineOf, formatDuration, latePenalty, parseTimestamp } from "../../src/course/late";

const utc = (iso: string) => DateTime.fromISO(iso, { zone: "UTC" });
const ms = (t: DateTime | undefined) => t?.toMillis();

describe("parseTimestamp", () => {
  it("reads nbgrader's format, ISO 8601, offsets and zone names", () => {
    // nbgrader's default timestamp_format "%Y-%m-%d %H:%M:%S.%f %Z".
    expect(ms(parseTimestamp("2026-11-21 10:00:00.123456 UTC").value)).toBe(Date.UTC(2026, 10, 21, 10, 0, 0, 123));
    expect(ms(parseTimestamp("2026-11-21T11:00:00+01:00").value)).toBe(Date.UTC(2026, 10, 21, 10));
    expect(ms(parseTimestamp("2026-11-21 11:00:00 +0100").value)).toBe(Date.UTC(2026, 10, 21, 10));
    expect(ms(parseTimestamp("2026-11-21 11:00:00 Europe/Berlin").value)).toBe(Date.UTC(2026, 10, 21, 10));
    expect(ms(parseTimestamp("\uFEFF2026-11-21 10:00 Z\r\nanything else").value)).toBe(Date.UTC(2026, 10, 21, 10));
  });

  it("a time without a zone is read in the course's timezone, and says so", () => {
    const t = parseTimestamp("2026-07-01 12:00:00", "Europe/Berlin");
    // Summer time: UTC+2.
    expect(ms(t.value)).toBe(Date.UTC(2026, 6, 1, 10));
    expect(t.note).toBe("timestamp.txt has no timezone; read as Europe/Berlin");
  });

  it("bad timestamps are messages, not exceptions", () => {
    expect(parseTimestamp("").error).toBe("timestamp.txt is empty");
    expect(parseTimestamp("yesterday evening").error).toMatch(/^timestamp\.txt: "yesterday evening" is not a date and time/);
    expect(parseTimestamp("2026-02-30 10:00:00 UTC").error).toMatch(/is not a valid time/);
    expect(parseTimestamp("2026-11-21 10:00:00 Mars/Olympus").error).toMatch(/unknown timezone "Mars\/Olympus"/);
    expect(parseTimestamp("2026-11-21 25:00:00 UTC").error).toMatch(/is not a valid time/);
  });
});

describe("late policies, by hand", () => {
  // Due 2026-11-20 23:59 at UTC+1 = 22:59 UTC.
  const due = utc("2026-11-20T22:59:00Z");
  const perDay = { type: "per-day", percent: 10 } as const;

  it("per started day: 11 h 1 min late is 1 day, 10 %; 3 days 1 h 1 min is 4 days, 40 %", () => {
    expect(latePenalty(perDay, utc("2026-11-21T10:00:00Z"), due)).toEqual({ lateMs: (11 * 60 + 1) * 60_000, daysLate: 1, percent: 10 });
    expect(latePenalty(perDay, utc("2026-11-24T00:00:00Z"), due).daysLate).toBe(4);
    expect(latePenalty(perDay, utc("2026-11-24T00:00:00Z"), due).percent).toBe(40);
    // Exactly 24 h late is one day, a minute more is two.
    expect(latePenalty(perDay, utc("2026-11-21T22:59:00Z"), due).daysLate).toBe(1);
    expect(latePenalty(perDay, utc("2026-11-21T23:00:00Z"), due).daysLate).toBe(2);
  });

  it("on time, or within grace, costs nothing; the cap and zero-after apply", () => {
    expect(latePenalty(perDay, utc("2026-11-20T22:59:00Z"), due)).toEqual({ lateMs: 0, daysLate: 0, percent: 0 });
    expect(latePenalty(perDay, utc("2026-11-19T12:00:00Z"), due).percent).toBe(0);
    expect(latePenalty({ ...perDay, graceMinutes: 15 }, utc("2026-11-20T23:09:00Z"), due).percent).toBe(0);
    expect(latePenalty({ ...perDay, graceMinutes: 15 }, utc("2026-11-20T23:15:00Z"), due).percent).toBe(10);
    expect(latePenalty({ ...perDay, maxPercent: 30 }, utc("2026-11-24T00:00:00Z"), due).percent).toBe(30);
    expect(latePenalty({ ...perDay, zeroAfterDays: 3 }, utc("2026-11-23T22:00:00Z"), due).percent).toBe(30);
    expect(latePenalty({ ...perDay, zeroAfterDays: 3 }, utc("2026-11-24T00:00:00Z"), due).percent).toBe(100);
    expect(latePenalty({ type: "zero" }, utc("2026-11-20T23:00:00Z"), due).percent).toBe(100);
    // 30 days 1 min late: 31 started days, recorded but not penalised.
    expect(latePenalty({ type: "none" }, utc("2026-12-20T23:00:00Z"), due)).toMatchObject({ daysLate: 31, percent: 0 });
  });

  it("the deduction is a share of the points earned, in hundredths", () => {
    expect(applyPenalty(30, 10)).toBe(27);
    // 37.5 · 0.7 = 26.25; 17 · 0.85 = 14.45.
    expect(applyPenalty(37.5, 30)).toBe(26.25);
    expect(applyPenalty(17, 15)).toBe(14.45);
    expect(applyPenalty(38, 100)).toBe(0);
  });

  it("extensions: extra days on the due date in its own zone (across a DST change), or a new deadline", () => {
    const course = parseCourse(
      {
        timezone: "Europe/Berlin",
        assignments: [{ name: "a", due: "2026-03-28T12:00:00" }],
        roster: [
          { id: "s1", name: "A" },
          { id: "s2", name: "B" },
          { id: "s3", name: "C" },
        ],
        extensions: [
          { student: "s1", assignment: "a", days: 1 },
          { student: "s2", assignment: "a", until: "2026-04-01T09:00:00Z" },
        ],
      },
      "course.json",
    );
    const a = course.assignments[0];
    // 28 March 12:00 CET = 11:00 UTC; clocks go forward on 29 March, so 29 March 12:00 CEST = 10:00 UTC.
    expect(ms(deadlineOf(course, a, "s3").deadline)).toBe(Date.UTC(2026, 2, 28, 11));
    expect(ms(deadlineOf(course, a, "s1").deadline)).toBe(Date.UTC(2026, 2, 29, 10));
    expect(deadlineOf(course, a, "s1").extension).toBe("extended by 1 day(s)");
    expect(ms(deadlineOf(course, a, "s2").deadline)).toBe(Date.UTC(2026, 3, 1, 9));
  });

  it("formats durations", () => {
    expect(formatDuration((11 * 60 + 1) * 60_000)).toBe("11 h 1 min");
    expect(formatDuration(3 * 86_400_000 + 3_600_000)).toBe("3 days 1 h");
    expect(formatDuration(1000)).toBe("1 min");
  });
});
