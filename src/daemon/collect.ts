// When the daemon collects garbage itself. A scan promotes a whole generation of process records
// into the old space, and left to V8 the old space grew ~30 MB before it was collected (RSS
// 85-130 MB at 5,000 processes). A full collection after every scan kept RSS flat but cost +28 %
// CPU per scan at 5,000 processes and +69 % at 1,000 (npm run bench); collecting only once the
// heap has grown by GROWTH_BYTES since the last one kept RSS under 90 MB for +3-7 %. Since scans
// share unchanged values with the previous one (procfs/reuse.ts) and CPU windows keep two numbers
// per process instead of the records (evaluate/cpu.ts), a scan at 5,000 processes promotes about
// half as much, so collecting at 8 MB runs about as often as 16 MB did before and lowers the
// peak: RSS max 79 MB instead of 86 MB at 5,000 processes, CPU per scan within the noise (two
// daemons side by side for 50 s).
import { getHeapStatistics } from "node:v8";

const GROWTH_BYTES = 8 * 1024 * 1024;

/** Call after each scan; collects only when the CLI's flags expose gc (--expose-gc in its
 * shell lines, src/bin/launch.sh) and the heap has grown GROWTH_BYTES since the last collection. */
export function createAfterScanCollector(gc = (globalThis as { gc?: () => void }).gc): (() => void) | undefined {
  if (gc === undefined) return undefined;
  let base = getHeapStatistics().used_heap_size;
  return () => {
    if (getHeapStatistics().used_heap_size - base < GROWTH_BYTES) return;
    gc();
    base = getHeapStatistics().used_heap_size;
  };
}
