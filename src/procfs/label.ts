// Pure: attr/current bytes → raw label. SELinux ends it with NUL, AppArmor with a newline.

export function parseLabel(text: string): string {
  let end = text.length;
  while (end > 0 && (text[end - 1] === "\0" || text[end - 1] === "\n")) end--;
  return text.slice(0, end);
}
