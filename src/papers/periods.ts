/** Calendar arithmetic on `YYYY-MM-DD` days: ISO weeks (`2024-W43`, Monday first) and months. */

export type Bucket = "DAY" | "WEEK" | "MONTH";

const DAY_MS = 86_400_000;

export function toDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function dayMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** The ISO week of a day: `2024-W43`. */
export function isoWeek(day: string): string {
  const date = new Date(dayMs(day));
  const weekday = (date.getUTCDay() + 6) % 7; // Monday 0
  const thursday = new Date(date.getTime() + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS));
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** First and last day of an ISO week `YYYY-Www`, or null when there is no such week. */
export function weekRange(id: string): { start: string; end: string } | null {
  const match = /^(\d{4})-W(\d{2})$/.exec(id);
  if (!match) return null;
  const [year, week] = [Number(match[1]), Number(match[2])];
  const jan4 = Date.UTC(year, 0, 4);
  const monday1 = jan4 - ((new Date(jan4).getUTCDay() + 6) % 7) * DAY_MS;
  const start = toDay(monday1 + (week - 1) * 7 * DAY_MS);
  if (week < 1 || isoWeek(start) !== id) return null;
  return { start, end: toDay(dayMs(start) + 6 * DAY_MS) };
}

/** First and last day of a month `YYYY-MM`, or null. */
export function monthRange(id: string): { start: string; end: string } | null {
  const match = /^(\d{4})-(\d{2})$/.exec(id);
  if (!match) return null;
  const [year, month] = [Number(match[1]), Number(match[2])];
  if (month < 1 || month > 12) return null;
  return { start: `${id}-01`, end: toDay(Date.UTC(year, month, 0)) };
}

export function bucketOf(day: string, bucket: Bucket): string {
  if (bucket === "DAY") return day;
  return bucket === "WEEK" ? isoWeek(day) : day.slice(0, 7);
}

/** The buckets that cover [from, to], in order, each with the days it spans. */
export function bucketsBetween(
  from: string,
  to: string,
  bucket: Bucket,
): { key: string; start: string; end: string }[] {
  const out: { key: string; start: string; end: string }[] = [];
  for (let ms = dayMs(from); ms <= dayMs(to); ms += DAY_MS) {
    const day = toDay(ms);
    const key = bucketOf(day, bucket);
    const last = out[out.length - 1];
    if (last?.key === key) last.end = day;
    else out.push({ key, start: day, end: day });
  }
  return out;
}
