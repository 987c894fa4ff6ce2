/** Parsing of the human units config files use: durations ("30s", "5m", ms as numbers) and sizes ("512M"). */

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS_BYTES: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** Milliseconds from a number (taken as ms) or a string like "1500ms", "30s", "5m", "1h"; undefined if malformed. */
export function parseDurationMs(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(value);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_UNITS_MS[(m[2] ?? 'ms').toLowerCase()]);
}

/** Bytes from a number (taken as MB, as mcp-compose does) or a string like "512M", "1G", "300MB"; undefined if malformed. */
export function parseSizeBytes(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.round(value * SIZE_UNITS_BYTES.m) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmg])?(?:i?b)?\s*$/i.exec(value);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * SIZE_UNITS_BYTES[(m[2] ?? 'm').toLowerCase()]);
}

/** "84 MB", "1.2 GB", "512 KB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

/** "45s", "12m", "3h 5m", "2d 4h". */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** "250 ms", "2s", "1.5s", "10m": how a timeout or wait reads in a message. */
export function formatTimeout(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 100) / 10}s`;
}
