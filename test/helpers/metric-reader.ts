// Reads what the OpenTelemetry SDK would export, in process and without a network: a MetricReader
// with the daemon's temporality choice, and its collection as name → attributes (JSON) → value.
import { AggregationTemporality, type DataPoint, MetricReader } from "@opentelemetry/sdk-metrics";
import { gaugeAwareTemporality } from "../../src/telemetry/exporters.js";

export class TestReader extends MetricReader {
  constructor() {
    // The same temporality choice as the daemon's readers.
    super({ aggregationTemporalitySelector: (t) => gaugeAwareTemporality(t, AggregationTemporality.CUMULATIVE) });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** name → attributes (JSON) → value (a histogram's count), from one collection. */
export async function collect(reader: MetricReader): Promise<Map<string, Map<string, number>>> {
  const { resourceMetrics } = await reader.collect();
  const out = new Map<string, Map<string, number>>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      const series = new Map<string, number>();
      for (const p of metric.dataPoints as DataPoint<unknown>[]) {
        const v = p.value;
        series.set(JSON.stringify(p.attributes), typeof v === "number" ? v : (v as { count: number }).count);
      }
      out.set(metric.descriptor.name, series);
    }
  }
  return out;
}
