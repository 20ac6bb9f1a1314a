// The interpreters whose script, not their own name, is a process's name unless --interpreters or
// the configuration's interpreters: replaces the list (evaluate/names.ts applies it).
export const DEFAULT_INTERPRETERS: readonly string[] = [
  "perl", "python", "python2", "python2.*", "python3", "python3.*", "ruby", "ruby2.*", "ruby3.*", "lua", "lua5.*", "luajit", "node", "nodejs",
];
