// Pure: /proc/PID/cmdline bytes → argv. NUL-separated with a trailing NUL, or one string with
// spaces (setproctitle style), or empty (zombies, kernel threads); argc=0 reads as one NUL.

export function parseCmdline(text: string): string[] {
  if (text.length === 0) return [];
  const body = text.endsWith("\0") ? text.slice(0, -1) : text;
  return body.split("\0");
}
