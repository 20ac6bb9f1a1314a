#!/bin/sh
":" /*
# The first lines of dist/bin/cli.js (scripts/build-to puts them in front of the bundle): sh runs
# them, and Node, reading the same file, sees a string and a comment. For a check or an explain
# they run the whole command in one Node process (bin/check.ts) and supervise it themselves, so a
# check costs one Node start-up where the CLI and its scanner child cost two. Everything else,
# and any case these lines do not handle, is the CLI alone (Node on this file), which then spawns
# its scanner child (check/supervise.ts).
#
# Why a supervisor: a read of /proc/PID/cmdline can block forever, and a process stuck in it
# cannot even exit. So the check writes to a pipe of this shell's, never to the caller's stdout
# or stderr, and this shell answers for it: the answer when it comes, else, at the deadline, the
# timeout text the check rendered before it read /proc (check/frames.ts gives the protocol).
# The pipe: dash (Debian's /bin/sh) makes an anonymous pipe of a here-document; its writer is
# opened through /proc/self/fd. A shell that makes here-documents otherwise (bash: a file) fails
# the pipe test and takes the plain path. The deadline: a watchdog subshell sleeps --timeout and
# sends this shell SIGALRM, and dash's read builtin returns when a trapped signal arrives.
# NODE_EXTRA_CA_CERTS is unset for a check or an explain: they open no TLS connection (check
# --from speaks HTTP on loopback or a Unix socket, and takes the plain path), and the
# certificates cost every Node start-up tens of ms, even with the variable set to nothing. The
# daemon keeps it (OTLP over https may need it).
d=${0%/*}
if [ ! -f "$d/check.js" ]; then
  # Run through a symlink (the package's /usr/bin/procwatch, npm's bin link): where the usual
  # places hold this very file (-ef: same device and inode), no readlink process to start.
  for b in "$d/../lib/procwatch" "$d/../lib/node_modules/procwatch/dist/bin"; do
    [ "$0" -ef "$b/cli.js" ] && d=$b && break
  done
  [ -f "$d/check.js" ] || { d=$(readlink -f -- "$0") && d=${d%/*}; }
fi
# stop_code: the exit code of a stop signal that comes before the check has said anything
# (Nagios wants UNKNOWN, 3, for that; mon, anything but 0).
# limit: --timeout as sleep takes it (it has no ms), for the watchdog that runs from the start, so
# that even a check stopped before it could say anything ends at the deadline; 10 s, the default,
# for anything else (the check itself then reports the bad value).
fast= stop_code=1 prev= limit=10
case ${1-} in
  check|explain)
    fast=1
    unset NODE_EXTRA_CA_CERTS
    for a do
      case $a in --from|--from=*|--help|-h) fast= ;; esac
      case $prev:$a in --format:nagios|*:--format=nagios) stop_code=3 ;; --format:*|*:--format=*) stop_code=1 ;; esac
      case $prev:$a in --timeout:*|*:--timeout=*) t=${a#--timeout=} limit=10
        case $t in
          *[!0-9.smhd]*|.*|*.*.*) ;;
          *[0-9]ms) t=${t%ms}; case $t in *.*) ;; *) r=$((t % 1000)); while [ ${#r} -lt 3 ]; do r=0$r; done; limit=$((t / 1000)).$r ;; esac ;;
          *[0-9]|*[0-9][smhd]) limit=$t ;;
        esac ;;
      esac
      prev=$a
    done ;;
esac
if [ -n "$fast" ] && [ -f "$d/check.js" ]; then
  { command exec 6<<E
E
  } 2>/dev/null
  # Under a low open-files limit (ulimit -n), the CLI alone: it answers such a limit cleanly
  # (EMFILE named) where it still can. The limit comes through the pipe: $(...) would fork.
  if [ -p /proc/self/fd/6 ] && { command exec 7>/proc/self/fd/6; } 2>/dev/null \
    && ulimit -n >&7 && IFS= read -r n <&6 && { [ "$n" = unlimited ] || [ "$n" -ge 64 ]; } 2>/dev/null; then
    sig=
    trap 'sig=${sig:-ALRM}' ALRM
    trap 'sig=${sig:-TERM}' TERM
    trap 'sig=${sig:-INT}' INT
    trap 'sig=${sig:-HUP}' HUP
    # The caller may be gone when the answer is written; its exit code still counts.
    trap '' PIPE
    # Its stderr is not ours to print (Node's warnings would break the frames); what it has to say
    # comes as frames, and a check that cannot start is run again below, where errors show.
    # --preserve-symlinks-main: Node need not resolve the path it was given (lstat after lstat).
    # --verify-snapshot-checksum: V8 checks the code cache (bin/check.ts) against its checksum
    # and refuses a damaged one, which it would otherwise run and crash on.
    PROCWATCH_SUPERVISOR=$$ node --enable-experimental-regexp-engine --verify-snapshot-checksum --preserve-symlinks-main "$d/check.js" "$@" </dev/null >&7 2>/dev/null 6<&- 7>&- &
    check=$!
    exec 7>&-
    # The watchdog, from now: $! in the subshell is the check until its sleep starts, so a TERM
    # that early ends the check, which is being stopped anyway. A sleep that cannot run ends the
    # wait at once: a check that times out at once, never one without a deadline.
    ( trap 'kill $! 2>/dev/null; exit 0' TERM
      sleep "$limit" &
      wait $!
      kill -s ALRM $$ ) </dev/null >/dev/null 2>&1 6<&- &
    watchdog=$!
    # One frame: its header into kind code fd n partial more, its text into text.
    frame() {
      IFS=' ' read -r kind code fd n partial more <&6 || return 1
      case $kind in timeout|failure|SIGTERM|SIGINT|SIGHUP|out|err|raw|end) ;; *) return 1 ;; esac
      case $code in ''|*[!0-9]*) return 1 ;; esac
      case $n in ''|*[!0-9]*) return 1 ;; esac
      case $fd$partial in 10|11|20|21) ;; *) return 1 ;; esac
      text=
      while [ "$n" -gt 0 ]; do
        IFS= read -r line <&6 || return 1
        text=$text$line'
'
        n=$((n - 1))
      done
      [ "$partial" = 0 ] || { IFS= read -r line <&6 || return 1; text=$text$line; }
    }
    # Prints a text to fd 1 or 2 and exits with its code.
    answer() {
      if [ "$3" = 2 ]; then printf %s "$1" >&2; else printf %s "$1"; fi
      exit "$2"
    }
    # Stops the watchdog and its sleep, and waits for it: after this, nothing signals anyone.
    unwatch() {
      [ -z "$watchdog" ] || { kill -s TERM "$watchdog" 2>/dev/null; wait "$watchdog"; }
    }
    out= err= t_timeout= t_failure= t_SIGTERM= t_SIGINT= t_SIGHUP=
    while [ -z "$sig" ] && frame; do
      case $kind in
        timeout) t_timeout=$text c_timeout=$code f_timeout=$fd ;;
        failure) t_failure=$text c_failure=$code f_failure=$fd ;;
        SIGTERM) t_SIGTERM=$text c_SIGTERM=$code f_SIGTERM=$fd ;;
        SIGINT) t_SIGINT=$text c_SIGINT=$code f_SIGINT=$fd ;;
        SIGHUP) t_SIGHUP=$text c_SIGHUP=$code f_SIGHUP=$fd ;;
        out) out=$out$text ;;
        err) err=$err$text ;;
        # A long stdout text, as it is: the check has read all it reads, and writes it at once.
        # Cut short (the check died writing it), no end frame follows: a failure, never a pass.
        raw)
          case $more in ''|*[!0-9]*) break ;; esac
          printf %s "$out"
          out=
          # Waiting for head, dash may reap the check: its PID is no longer ours to kill.
          check=
          head -c "$more" <&6 ;;
        end)
          unwatch
          printf %s "$out"
          printf %s "$err" >&2
          exit "$code" ;;
      esac
    done
    # No answer: the deadline, a stop signal, or the check ended without one. The check is our
    # unreaped child until unwatch waits (or head ran), so its PID is still its own here.
    [ -z "$check" ] || kill -s KILL "$check" 2>/dev/null
    unwatch
    case $sig in
      ALRM) [ -z "$t_timeout" ] || answer "$t_timeout" "$c_timeout" "$f_timeout" ;;
      TERM) [ -z "$t_SIGTERM" ] || answer "$t_SIGTERM" "$c_SIGTERM" "$f_SIGTERM" ;;
      INT) [ -z "$t_SIGINT" ] || answer "$t_SIGINT" "$c_SIGINT" "$f_SIGINT" ;;
      HUP) [ -z "$t_SIGHUP" ] || answer "$t_SIGHUP" "$c_SIGHUP" "$f_SIGHUP" ;;
      '') [ -z "$t_failure" ] || answer "$t_failure" "$c_failure" "$f_failure" ;;
    esac
    # Stopped, or past the deadline, before the check said anything: a failure, never death by
    # the signal (mon counts that as success); Nagios needs UNKNOWN.
    [ -z "$sig" ] || exit "$stop_code"
    # Ended before it could say anything (it could not start): the CLI alone says why.
    trap - ALRM TERM INT HUP PIPE
  fi
  exec 6<&- 7>&-
fi
# The flags are for the daemon (procwatch run); see the comment at the top of src/bin/cli.ts.
exec node --max-semi-space-size=1 --expose-gc --single-threaded "$0" "$@"
# Never run (exec above); for sh -n (lintian), the JavaScript below is the body of a
# here-document, not commands to parse.
: <<'NOT_SHELL'
*/
