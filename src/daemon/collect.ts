// When the daemon collects garbage itself. A scan promotes a whole generation of process records
// into the old space, and left to V8 the old space grew ~30 MB before it was collected (RSS
// 85-130 MB at 5,000 processes). A full collection after every scan kept RSS flat but cost +28 %
// CPU per scan at 5,000 processes and +69 % at 1,000 (npm run bench); collecting only once the
// heap has grown by GROWTH_BYTES since the last one kept RSS under 90 MB for +3-7 %.
import { getHeapStatistics } from "node:v8";

const GROWTH_BYTES = 16 * 1024 * 1024;

/** Call after each scan; collects only when the CLI's flags expose gc (--expose-gc in its
 * shell lines, src/bin/launch.sh) and the heap has grown enough since the last collection. */
export function createAfterScanCollector(gc = (globalThis as { gc?: () => void }).gc): (() => void) | undefined {
  if (gc === undefined) return undefined;
  let base = getHeapStatistics().used_heap_size;
  return () => {
    if (getHeapStatistics().used_heap_size - base < GROWTH_BYTES) return;
    gc();
    base = getHeapStatistics().used_heap_size;
  };
}
