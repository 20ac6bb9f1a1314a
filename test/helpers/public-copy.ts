// Copies of built code that any user can load. A test that runs procwatch code as another user
// (nobody, mon) cannot load it from a checkout that user may not enter: CI clones into a mode-700
// temp directory. Each source directory is copied once per test process.
import { chmodSync, cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const copies = new Map<string, string>();
// The copies live as long as the test process (other users' children load from them): removed at its exit.
process.once("exit", () => {
  for (const root of copies.values()) rmSync(root, { recursive: true, force: true });
});

/** A world-readable copy of `dir` (recursive); `packageType` writes a package.json beside it. */
export function publicCopy(dir: string, packageType?: "module" | "commonjs"): string {
  const known = copies.get(dir);
  if (known !== undefined) return known;
  const root = mkdtempSync(join(tmpdir(), "procwatch-public-"));
  cpSync(dir, root, { recursive: true });
  if (packageType !== undefined) writeFileSync(join(root, "package.json"), JSON.stringify({ type: packageType }));
  openUp(root);
  copies.set(dir, root);
  return root;
}

function openUp(path: string): void {
  chmodSync(path, 0o755);
  if (!statSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) openUp(join(path, name));
}
