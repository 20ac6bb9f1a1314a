// Pure: "500ms", "2s", "1.5m", "1h", "2d" → milliseconds. A bare whole number means seconds (the
// Nagios plugin convention for -t). Scientific notation, signs and zero are rejected.

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string, limits: { minMs?: number; maxMs?: number } = {}): number {
  const m = /^(\d{1,9}(?:\.\d{1,3})?)(ms|s|m|h|d)?$/.exec(text);
  if (m === null) throw new Error(`"${text}" is not a duration (examples: 500ms, 2s, 1m)`);
  const ms = Math.round(Number(m[1]) * (UNIT_MS[m[2] ?? "s"] ?? 1000));
  const min = limits.minMs ?? 1;
  const max = limits.maxMs ?? 3_600_000;
  if (ms < min) throw new Error(`"${text}" is shorter than ${formatDuration(min)}`);
  if (ms > max) throw new Error(`"${text}" is longer than ${formatDuration(max)}`);
  return ms;
}

export function formatDuration(ms: number): string {
  if (ms >= 86_400_000 && ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
