// The label providers procwatch knows, and label text → SecurityLabel with them. Pure.
// Adding a security module: write src/procfs/lsm/<module>.ts exporting a LabelProvider (see
// provider.ts), then add it to PROVIDERS below: one new file plus one registration line.
import type { SecurityLabel } from "../types.js";
import { apparmor } from "./apparmor.js";
import type { LabelProvider } from "./provider.js";
import { selinux } from "./selinux.js";
import { smack } from "./smack.js";

/** In the order attr/current's text is tried against them: strictest format first, Smack's
 * single word (which would take almost anything) last. */
export const PROVIDERS: readonly LabelProvider[] = [
  selinux,
  apparmor,
  smack,
];

/** The module's label from its own file: the module is certain, the domain only if the text is in
 * its format. undefined for an empty file (no label). */
export function parseLabelAs(provider: LabelProvider, raw: string): SecurityLabel | undefined {
  if (raw === "") return undefined;
  const parsed = provider.parse(raw);
  return { module: provider.module, raw, ...(parsed?.domain === undefined ? {} : { domain: parsed.domain }) };
}

/** Whose label the shared attr/current holds, judged by its format (no list of active modules);
 * module "unknown" when no provider recognises it. undefined for an empty file. */
export function parseSharedLabel(raw: string): SecurityLabel | undefined {
  if (raw === "") return undefined;
  const provider = PROVIDERS.find((p) => p.parse(raw) !== undefined);
  return provider === undefined ? { module: "unknown", raw } : parseLabelAs(provider, raw);
}

/** The registered providers among the active modules, in the list's order; other names
 * (capability, yama, landlock...: modules without process labels) are left out. */
export function activeProviders(moduleNames: readonly string[]): LabelProvider[] {
  return moduleNames.flatMap((name) => PROVIDERS.filter((p) => p.module === name));
}
