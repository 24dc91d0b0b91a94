// How values read on the page: sizes, dates in the user's time zone, counts.

const UNITS = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];

export function formatBytes(value) {
  if (value === null || value === undefined || value === '') return '—';
  let size = Number(value);
  if (!Number.isFinite(size)) return '—';
  let unit = 0;
  while (size >= 1024 && unit < UNITS.length - 1) {
    size /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${size} bytes` : `${size.toFixed(size < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatCount(value) {
  return value === null || value === undefined ? '—' : Number(value).toLocaleString();
}

export function formatDate(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';

const pad = (n) => String(Math.abs(n)).padStart(2, '0');

/** A datetime-local value (the user's wall-clock time) as ISO 8601 with its UTC offset; '' → null. */
export function localToIso(value) {
  if (!value) return null;
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!match) return null;
  const [, y, mo, d, h, mi, s = '00'] = match;
  const date = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const offset = -date.getTimezoneOffset(); // minutes east of UTC, at that date (daylight saving counts)
  const sign = offset >= 0 ? '+' : '-';
  const local = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${local}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`;
}

export function plural(count, one, many = `${one}s`) {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}
