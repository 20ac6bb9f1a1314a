import { DEFAULT_INTERPRETERS } from "../../src/rules/interpreters.js";
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeInterpreterSet, scriptOf } from "../../src/evaluate/names.js";

test("the script of an interpreter, options skipped", () => {
  const cases: [string, string[], string | undefined][] = [
    ["python3", ["python3", "-u", "/usr/local/bin/foo.py"], "/usr/local/bin/foo.py"],
    ["python3.11", ["/usr/bin/python3.11", "-W", "ignore", "-X", "dev", "/srv/app.py", "--port", "80"], "/srv/app.py"],
    ["python3", ["python3", "-m", "http.server", "8000"], "http.server"],
    ["python3", ["python3", "-mhttp.server"], "http.server"],
    ["python3", ["python3", "-c", "import time; time.sleep(9)"], undefined],
    ["python3", ["python3"], undefined],
    ["perl", ["perl", "-w", "/usr/sbin/mon"], "/usr/sbin/mon"],
    ["perl", ["perl", "-I", "/opt/lib", "x.pl"], "x.pl"],
    ["perl", ["perl", "-e", "sleep 1"], undefined],
    ["ruby", ["ruby", "-r", "json", "app.rb"], "app.rb"],
    ["node", ["node", "--require", "./hook.js", "--inspect=9229", "server.js"], "server.js"],
    ["node", ["node", "-e", "1"], undefined],
    ["lua5.1", ["lua5.1", "-l", "socket", "-e", "x=1", "daemon.lua"], "daemon.lua"],
    ["python3", ["python3", "--", "-odd-name.py"], "-odd-name.py"],
    ["python3", ["python3 /usr/bin/setproctitle-style.py arg"], "/usr/bin/setproctitle-style.py"],
    ["python3", ["python3", "-"], undefined],
  ];
  for (const [comm, argv, script] of cases) assert.equal(scriptOf(comm, argv), script, argv.join(" "));
});

test("the default interpreter list covers versioned names", () => {
  const set = makeInterpreterSet(DEFAULT_INTERPRETERS);
  for (const comm of ["perl", "python", "python3", "python3.11", "python3.9", "ruby", "lua", "lua5.4", "node"]) assert.ok(set.has(comm), comm);
  for (const comm of ["bash", "sh", "python3x", "sshd", "perl5.36.0x/"]) assert.ok(!set.has(comm), comm);
});
