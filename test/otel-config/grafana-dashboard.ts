// Types that hold the shipped Grafana dashboard (otel-config/grafana/procwatch-dashboard.json) to
// @grafana/schema 13.2's dashboard types, and the check `tsc` (npm test's pretest) runs on it.
// Types only: nothing here runs. dashboard.test.ts runs the stricter literal check below.
//
// An imported JSON file's type is widened: every string is `string`, so a misspelt enum value
// ("absolut") is invisible, and an imported value is not "fresh", so TypeScript skips its excess
// property check and a misspelt key ("gridpos") is invisible too. Two checks close that gap:
// 1. here, at build time: the imported JSON against the schema with enums and literals widened
//    (kinds, required keys), plus NoExtraKeys, which rejects a key the schema does not know at
//    any depth;
// 2. in dashboard.test.ts: the JSON text compiled as an object literal `satisfies`
//    ProcwatchDashboard, where literals keep their types (enum values are checked) and each panel
//    is checked against its own plugin's options and field config types.
import type {
  DataSourceRef, Dashboard, FieldConfig, FieldConfigSource, Panel, RowPanel,
} from "@grafana/schema";
import type {
  FieldConfig as StateTimelineFieldConfig, Options as StateTimelineOptions,
} from "@grafana/schema/dist/esm/raw/composable/statetimeline/panelcfg/x/StateTimelinePanelCfg_types.gen";
import type { Options as StatOptions } from "@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen";
import type {
  FieldConfig as TimeSeriesFieldConfig, Options as TimeSeriesOptions,
} from "@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen";
import type dashboardJson from "../../otel-config/grafana/procwatch-dashboard.json";

type IsAny<T> = 0 extends 1 & T ? true : false;
type ToNumber<S> = S extends `${infer N extends number}` ? N : never;

/**
 * T as it can appear in JSON: a string enum becomes the union of its values (ThresholdsMode →
 * "absolute" | "percentage"), a numeric enum the union of its numbers; everything else as is.
 */
export type Plain<T> =
  IsAny<T> extends true ? T
  : T extends string ? `${T}`
  : T extends number ? ToNumber<`${T}`>
  : T extends boolean | null | undefined ? T
  : T extends readonly (infer E)[] ? Plain<E>[]
  : T extends object ? { [K in keyof T]: Plain<T[K]> }
  : T;

/** T with every literal widened to its primitive: what an imported JSON file can be checked against. */
export type Widen<T> =
  IsAny<T> extends true ? T
  : T extends string ? string
  : T extends number ? number
  : T extends boolean ? boolean
  : T extends null | undefined ? T
  : T extends readonly (infer E)[] ? Widen<E>[]
  : T extends object ? { [K in keyof T]: Widen<T[K]> }
  : T;

type ObjectMembers<W> = Exclude<Extract<W, object>, readonly unknown[]>;
type KeysOf<W> = W extends unknown ? keyof W : never;
type MemberAt<W, K> = W extends unknown ? (K extends keyof W ? W[K] : never) : never;
type ElementOf<W> = W extends readonly (infer E)[] ? E : never;

/**
 * J with every property the schema W does not know (at any depth) turned into `never`, so that
 * assigning J to it fails on exactly that property. W `unknown` (e.g. a query model typed
 * Record<string, unknown>) accepts anything below it. Properties typed `undefined` only are the
 * ones TypeScript adds when it unifies sibling objects of a JSON array: not in the file.
 */
export type NoExtraKeys<J, W> =
  unknown extends W ? J
  : J extends readonly (infer JE)[] ? NoExtraKeys<JE, ElementOf<Extract<W, readonly unknown[]>>>[]
  : J extends object ? {
      [K in keyof J]: [J[K]] extends [undefined] ? J[K]
        : K extends KeysOf<ObjectMembers<W>> ? NoExtraKeys<J[K], MemberAt<ObjectMembers<W>, K>>
        : never;
    }
  : J;

/**
 * The query model of the dashboard's targets. @grafana/schema types targets as
 * Record<string, unknown> and ships no Prometheus query type, so this is ours: the keys Grafana's
 * Prometheus data source saves for a code-mode range query.
 */
export interface PrometheusTarget {
  readonly datasource: Plain<DataSourceRef>;
  readonly editorMode: "code" | "builder";
  readonly expr: string;
  readonly legendFormat: string;
  readonly range: boolean;
  readonly refId: string;
}

type PanelCommon = Omit<Plain<Panel>, "type" | "options" | "fieldConfig" | "targets" | "datasource">;
type Overrides = Plain<FieldConfigSource>["overrides"];

interface PluginPanel<Type extends string, Options> {
  readonly type: Type;
  readonly datasource: Plain<DataSourceRef>;
  readonly targets: readonly PrometheusTarget[];
  readonly options: Plain<Options>;
}

type WithCustom<Custom> = Omit<Plain<FieldConfig>, "custom"> & { readonly custom: Plain<Custom> };

/** Each panel against its own plugin's options and field config (panelcfg types of Grafana 13.2). */
export type ProcwatchPanel =
  | (PanelCommon & PluginPanel<"timeseries", TimeSeriesOptions> & {
      readonly fieldConfig: { readonly defaults: WithCustom<TimeSeriesFieldConfig>; readonly overrides: Overrides };
    })
  | (PanelCommon & PluginPanel<"state-timeline", StateTimelineOptions> & {
      readonly fieldConfig: { readonly defaults: WithCustom<StateTimelineFieldConfig>; readonly overrides: Overrides };
    })
  | (PanelCommon & PluginPanel<"stat", StatOptions> & {
      readonly fieldConfig: { readonly defaults: Omit<Plain<FieldConfig>, "custom">; readonly overrides: Overrides };
    });

/** The typed view the dashboard literal must satisfy (dashboard.test.ts). */
export type ProcwatchDashboard = Omit<Plain<Dashboard>, "panels"> & {
  readonly panels: readonly (ProcwatchPanel | Plain<RowPanel>)[];
};

/** What the imported JSON is checked against at build time (see the file comment). */
export type DashboardFileShape = Widen<Plain<Dashboard>>;

// The build-time check: tsc fails here, naming the property path, when the shipped JSON breaks
// the schema. Type-level only, so the compiled file is empty.
type DashboardFile = typeof dashboardJson;
type HasSchemaKinds<T extends DashboardFileShape> = T;
type HasOnlySchemaKeys<T extends NoExtraKeys<DashboardFile, DashboardFileShape>> = T;
export type CheckedDashboardFile = HasOnlySchemaKeys<HasSchemaKinds<DashboardFile>>;
