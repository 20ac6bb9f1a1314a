// The shipped bundles (dist/bin): esbuild's API rather than its command line for one plugin.
// commander loads node:child_process when it is loaded, for executable subcommands procwatch
// never has; that module and node:net behind it cost a check ~10 ms of start-up. Commander
// gets a stand-in that loads the real module on first use.
// Usage: node scripts/bundle.mjs OUTDIR
import { build } from "esbuild";

const outdir = process.argv[2];
if (outdir === undefined) throw new Error("usage: node scripts/bundle.mjs OUTDIR");

const lazyChildProcess = {
  name: "lazy-child-process-for-commander",
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: "child_process", namespace: "lazy-builtin" } : undefined);
    b.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, () => ({
      loader: "js",
      contents: "let real; module.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });",
    }));
  },
};

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  outdir,
  logLevel: "warning",
  external: ["./program.js", "./daemon.js"],
  // import.meta.url is computed when first read: node:url's pathToFileURL costs ~4 ms of start-up
  // and a check reads it nowhere.
  define: { "import.meta.url": "__pwUrl.href" },
  banner: { js: "const __pwUrl = { get href() { return require('node:url').pathToFileURL(__filename).href; } };" },
  plugins: [lazyChildProcess],
};

await build({ ...common, entryPoints: ["src/bin/cli.ts", "src/bin/program.ts", "src/bin/child.ts", "src/bin/check.ts", "src/bin/daemon.ts"] });
// The check run as a command (src/bin/launch.sh, bin/check.ts) reads this whole bundle at every start-up: a
// third less to read and parse without whitespace (names are kept, so a stack trace still
// reads; its stderr is not shown anyway: see the stderr note in src/bin/launch.sh).
await build({ ...common, entryPoints: ["src/bin/check-code.ts"], minifyWhitespace: true, minifySyntax: true });
