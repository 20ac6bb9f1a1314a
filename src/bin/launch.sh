#!/bin/sh
":" /*
# The first lines of dist/bin/cli.js (scripts/build-to puts them in front of the bundle): sh runs
# them, and Node, reading the same file, sees a string and a comment. For a check or an explain,
# the scanner (bin/child.js) is started here and this shell then becomes the CLI, so the two Node
# start-ups run at once on two cores instead of one after the other (the CLI could only spawn the
# scanner once it ran itself). Everything else, and any case these lines do not handle, is the
# CLI alone, which then spawns its scanner as `node cli.js` does.
#
# Two pipes: dash (Debian's /bin/sh) makes an anonymous pipe of each here-document; the writer of
# each is opened through /proc/self/fd before either Node starts, so neither can read end of
# file early. A carries the request (CLI fd 4 -> scanner stdin), B the answer (scanner stdout and
# stderr -> CLI fd 6). A shell that makes here-documents otherwise (bash: /dev/null or a file)
# fails the pipe test and takes the plain path. The scanner holds none of the caller's stdin,
# stdout or stderr: stuck in a /proc read, it keeps no pipe of mon's or Nagios's open, and the CLI
# answers at the deadline and exits (check/supervise.ts). PROCWATCH_SCANNER tells the CLI the
# scanner's PID and its own. NODE_EXTRA_CA_CERTS is unset for a check's or an explain's processes:
# they open no TLS connection (check --from speaks HTTP on loopback or a Unix socket), and the
# certificates cost every Node start-up tens of ms, even with the variable set to nothing. The
# daemon keeps it (OTLP over https may need it).
d=${0%/*}
[ -f "$d/child.js" ] || { d=$(readlink -f -- "$0") && d=${d%/*}; }
fast=
case ${1-} in
  check|explain)
    fast=1
    unset NODE_EXTRA_CA_CERTS
    for a do case $a in --from|--from=*|--help|-h) fast= ;; esac; done ;;
esac
# Under a low open-files limit (ulimit -n), the CLI alone: the pipes would take descriptors Node
# needs to start, and the CLI answers such a limit cleanly (EMFILE named) where it still can.
[ -n "$fast" ] && n=$(ulimit -n) && { [ "$n" = unlimited ] || [ "$n" -ge 64 ]; } || fast=
if [ -n "$fast" ] && [ -f "$d/child.js" ]; then
  { command exec 5<<E
E
  } 2>/dev/null
  { command exec 6<<E
E
  } 2>/dev/null
  if [ -p /proc/self/fd/5 ] && [ -p /proc/self/fd/6 ] && { command exec 4>/proc/self/fd/5 7>/proc/self/fd/6; } 2>/dev/null; then
    node --enable-experimental-regexp-engine "$d/child.js" <&5 >&7 2>&7 4>&- 5<&- 6<&- 7>&- &
    PROCWATCH_SCANNER=$!:$$ exec node "$d/cli.js" "$@" 5<&- 7>&-
  fi
  exec 4>&- 5<&- 6<&- 7>&-
fi
# The flags are for the daemon (procwatch run); see the comment at the top of src/bin/cli.ts.
exec node --max-semi-space-size=1 --expose-gc "$0" "$@"
*/
