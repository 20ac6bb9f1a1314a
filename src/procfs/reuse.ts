// Values one scan's records share with the scans before it: comm, the exe link, uid and gid sets,
// why a field is unknown. A daemon scan keeps its records until the next one, so V8 promotes
// them to the old space, where only a full collection frees them. Most processes look the same
// every scan; reusing the earlier scan's value lets the freshly parsed one die young, which cut
// what each scan promotes by about half (npm run bench, daemon part). Everything is readonly
// data, so sharing one object between records changes no answer.
import type { ExeInfo, IdSet } from "./types.js";

/**
 * Entries per table before it is emptied: far more than a host's processes have distinct values,
 * and a bound on what a local user who renames processes (prctl PR_SET_NAME) every scan can grow.
 * Emptied, the tables just stop sharing until they fill again.
 */
const MAX_ENTRIES = 50_000;

export interface ValueReuse {
  /** The same text as `s`, the copy an earlier scan kept when there is one. */
  text(s: string): string;
  /** `ids`, or an equal set met before. Sets with four equal ids are shared (nearly all are). */
  ids(ids: IdSet): IdSet;
  exe(exe: ExeInfo): ExeInfo;
  /** `{ [field]: code }` for a record's first unknown field, shared. */
  unknownWhy<K extends string>(field: K, code: string): Readonly<Record<K, string>>;
}

export function createValueReuse(): ValueReuse {
  const texts = new Map<string, string>();
  const idSets = new Map<number, IdSet>();
  const exes = new Map<string, ExeInfo>();
  const whys = new Map<string, Readonly<Record<string, string>>>();
  const remember = <K, V>(map: Map<K, V>, key: K, value: V): V => {
    if (map.size >= MAX_ENTRIES) map.clear();
    map.set(key, value);
    return value;
  };
  return {
    text(s) {
      return texts.get(s) ?? remember(texts, s, s);
    },
    ids(ids) {
      const id = ids.real;
      if (ids.effective !== id || ids.saved !== id || ids.fs !== id) return ids;
      return idSets.get(id) ?? remember(idSets, id, ids);
    },
    exe(exe) {
      const key = exe.deleted ? `${exe.path} (deleted)` : exe.path;
      const known = exes.get(key);
      return known !== undefined && known.path === exe.path && known.deleted === exe.deleted ? known : remember(exes, key, exe);
    },
    unknownWhy<K extends string>(field: K, code: string) {
      const key = `${field}\n${code}`;
      return (whys.get(key) ?? remember(whys, key, { [field]: code })) as Readonly<Record<K, string>>;
    },
  };
}
