// The monotonic clock of deadlines (ProbeDeadline.atMs). process.hrtime, not performance.now():
// the \`performance\` global loads perf_hooks, ~4 ms of a one-shot check's start-up.
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
