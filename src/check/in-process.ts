// The check's scan in this very process, for bin/check.ts: the shell lines that started it
// (src/bin/launch.sh) are its supervisor, so a /proc read that blocks forever is ended from
// outside, as check/supervise.ts ends its child. Before scanning, it hands that supervisor the
// texts it prints at the deadline, when no answer comes, or on a stop signal, already rendered
// (frames.ts): stuck in a read, this process could render nothing.
import type { ScanChild } from "./supervise.js";
import { encodeFallback, STOP_SIGNALS } from "./frames.js";
import { runCheck } from "./run-check.js";

/** `send` writes frames to the supervisor; `excludeRoots` are the PIDs whose subtrees are
 * procwatch itself (the supervising shell, whose children this process and its watchdog are). */
export function inProcessScanChild(send: (frames: string) => void, excludeRoots: readonly number[]): ScanChild {
  return {
    async run(request, how) {
      send(encodeFallback("timeout", how.onTimeout(), how.timeoutMs / 1000)
        + encodeFallback("failure", how.onFailure("the check ended without an answer"))
        + STOP_SIGNALS.map((s) => encodeFallback(s, how.onSignal(s))).join(""));
      return runCheck({ ...request, excludeRoots });
    },
    cancel: () => undefined,
  };
}
