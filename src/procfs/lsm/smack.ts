// Smack labels: a single word of at most 255 bytes, e.g. "System", "User", "_" or "*"; no
// whitespace, slash, quote or backslash (Documentation/admin-guide/LSM/Smack.rst). Smack has no
// domains, so domain= does not apply to it. Per-module file attr/smack/current since Linux 5.1.
import type { LabelProvider } from "./provider.js";

const SMACK_LABEL_MAX = 255;
const NOT_IN_A_LABEL = /[\s/"'\\]/;

export const smack: LabelProvider = {
  module: "smack",
  attrFile: "smack/current",
  parse(raw) {
    if (raw === "" || raw.length > SMACK_LABEL_MAX || NOT_IN_A_LABEL.test(raw)) return undefined;
    return {};
  },
};
