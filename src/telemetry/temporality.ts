// Which aggregation temporality each instrument kind is exported with, for both readers.
import { AggregationTemporality, InstrumentType } from "@opentelemetry/sdk-metrics";

/**
 * With cumulative temporality the SDK keeps exporting a gauge series that is no longer observed
 * at its last value forever (opentelemetry-js #2997, #4096): a dead runaway's CPU series would
 * stay at its last value. Gauges carry no temporality on the wire, so asking for DELTA on them
 * changes nothing for consumers except that unobserved series stop. Sums stay as the exporter wants.
 */
export function gaugeAwareTemporality(type: InstrumentType, otherwise: AggregationTemporality): AggregationTemporality {
  return type === InstrumentType.OBSERVABLE_GAUGE || type === InstrumentType.GAUGE ? AggregationTemporality.DELTA : otherwise;
}
