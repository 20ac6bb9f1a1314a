// Metric and label names a PromQL expression uses, found well enough to hold the shipped alert
// rules and dashboard to the metric table. Not a parser: promtool checks the syntax. Strings,
// ranges and Grafana variables are skipped, label matchers and grouping clauses give label names,
// and every other identifier that is not a function, operator keyword or number is a metric name.

export interface PromqlNames {
  readonly metrics: ReadonlySet<string>;
  readonly labels: ReadonlySet<string>;
  /** `label="value"` equality matchers, to check attribute values against their known sets. */
  readonly equalities: readonly { readonly label: string; readonly value: string }[];
}

const AGGREGATIONS = new Set([
  "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile",
]);
const GROUPING = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "Inf", "NaN"]);
// (offset is followed by a duration, which the number branch consumes)
const IDENT = /[A-Za-z_:][A-Za-z0-9_:]*/y;
const LABEL = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Grafana's template-variable query `label_values(SELECTOR, LABEL)` as PromQL names. */
export function grafanaVariableNames(query: string): PromqlNames {
  const m = /^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$/s.exec(query);
  if (m === null) return promqlNames(query);
  const inner = promqlNames(m[1] as string);
  return { ...inner, labels: new Set([...inner.labels, m[2] as string]) };
}

export function promqlNames(expr: string): PromqlNames {
  const text = expr.replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*/g, " ");
  const metrics = new Set<string>();
  const labels = new Set<string>();
  const equalities: { label: string; value: string }[] = [];
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
  };
  const readString = (): string => {
    const quote = text[i] as string;
    let value = "";
    i++;
    while (i < text.length && text[i] !== quote) {
      if (text[i] === "\\" && quote !== "`") i++;
      value += text[i] ?? "";
      i++;
    }
    i++;
    return value;
  };
  const readLabelList = (): void => {
    // "(a, b)" after by/without/on/ignoring/group_left/group_right
    i++;
    for (;;) {
      skipSpace();
      if (i >= text.length || text[i] === ")") break;
      LABEL.lastIndex = i;
      const m = LABEL.exec(text);
      if (m === null) throw new Error(`promqlNames: expected a label at ${i} in ${expr}`);
      labels.add(m[0]);
      i = LABEL.lastIndex;
      skipSpace();
      if (text[i] === ",") i++;
    }
    i++;
  };
  const readMatchers = (): void => {
    // "{a="x", b=~"y"}"
    i++;
    for (;;) {
      skipSpace();
      if (i >= text.length || text[i] === "}") break;
      LABEL.lastIndex = i;
      const m = LABEL.exec(text);
      if (m === null) throw new Error(`promqlNames: expected a label matcher at ${i} in ${expr}`);
      i = LABEL.lastIndex;
      skipSpace();
      const op = /^(=~|!~|!=|=)/.exec(text.slice(i))?.[0];
      if (op === undefined) throw new Error(`promqlNames: expected a matcher operator at ${i} in ${expr}`);
      i += op.length;
      skipSpace();
      const value = readString();
      if (m[0] !== "__name__") labels.add(m[0]);
      else if (op === "=") metrics.add(value);
      if (op === "=") equalities.push({ label: m[0], value });
      skipSpace();
      if (text[i] === ",") i++;
    }
    i++;
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"' || c === "'" || c === "`") {
      readString();
    } else if (c === "{") {
      readMatchers();
    } else if (c === "[") {
      while (i < text.length && text[i] !== "]") i++;
      i++;
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(text[i + 1] ?? ""))) {
      // a number (0.95, 1e3, 0x1f) or a duration (5m)
      while (i < text.length && /[0-9A-Za-z_.]/.test(text[i] as string)) i++;
    } else if (/[A-Za-z_:]/.test(c)) {
      IDENT.lastIndex = i;
      const word = (IDENT.exec(text) as RegExpExecArray)[0];
      i = IDENT.lastIndex;
      skipSpace();
      if (GROUPING.has(word)) {
        if (text[i] === "(") readLabelList();
      } else if (KEYWORDS.has(word) || AGGREGATIONS.has(word) || text[i] === "(") {
        // an operator keyword, an aggregation (its "by (...)" may follow) or a function call
      } else {
        metrics.add(word);
      }
    } else {
      i++;
    }
  }
  return { metrics, labels, equalities };
}
