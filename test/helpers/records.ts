// Builders for ProcessRecord literals in pure evaluator/formatter tests (the data type itself,
// no mocks). Fields default to an ordinary root-owned sleeping process with everything read.
import { Field, type ProcessRecord } from "../../src/procfs/types.js";

const ALL = Field.status | Field.cmdline | Field.exe | Field.label;

/** Fields given as undefined are left out (unread or unreadable), as the reader leaves them. */
export type RecordSpec = { [K in keyof ProcessRecord]?: ProcessRecord[K] | undefined } & { pid: number; comm: string };

export function proc(fields: RecordSpec): ProcessRecord {
  const rec: Record<string, unknown> = {
    ppid: 1,
    startTicks: 1000 + fields.pid,
    state: "S",
    isKernelThread: false,
    cpuTicks: 0,
    utimeTicks: 0,
    stimeTicks: 0,
    majorFaults: 0,
    rssPages: 100,
    threads: 1,
    uids: { real: 0, effective: 0, saved: 0, fs: 0 },
    gids: { real: 0, effective: 0, saved: 0, fs: 0 },
    argv: [fields.comm],
    exe: { path: `/usr/sbin/${fields.comm}`, deleted: false },
    readMask: ALL,
    unknownMask: 0,
    ...fields,
  };
  for (const key of Object.keys(rec)) if (rec[key] === undefined) delete rec[key];
  return rec as unknown as ProcessRecord;
}

export function ids(real: number, effective = real, saved = effective): { real: number; effective: number; saved: number; fs: number } {
  return { real, effective, saved, fs: effective };
}
