// Test-only: decodes OTLP metrics protobuf (application/x-protobuf) into the OTLP/JSON object shape,
// so one normaliser (otlp-receiver.ts) serves both encodings. Knows nothing about HTTP or procwatch.
//
// No npm package decodes OTLP requests (otlp-transformer 0.223 only serialises; the old generated
// decoders drag in SDK 1.x) and none ships the .proto files, so the schema below is written here
// from the published field numbers of opentelemetry-proto v1.x (metrics/v1/metrics.proto,
// common/v1/common.proto, resource/v1/resource.proto, collector/metrics/v1/metrics_service.proto),
// cross-checked against the tags otlp-transformer's serializer writes. Only what a metrics receiver
// reads is declared; protobuf skips unknown fields (entity_refs, exemplar internals), so a newer
// sender still decodes. The package name is ours: message names never go on the wire.
import protobuf from "protobufjs";

const OTLP_METRICS_PROTO = `
syntax = "proto3";
package procwatch.test.otlp;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }

message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message Resource {
  repeated KeyValue attributes = 1;
  uint32 dropped_attributes_count = 2;
}

message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ExportMetricsServiceResponse { ExportMetricsPartialSuccess partial_success = 1; }
message ExportMetricsPartialSuccess { int64 rejected_data_points = 1; string error_message = 2; }

message ResourceMetrics {
  Resource resource = 1;
  repeated ScopeMetrics scope_metrics = 2;
  string schema_url = 3;
}
message ScopeMetrics {
  InstrumentationScope scope = 1;
  repeated Metric metrics = 2;
  string schema_url = 3;
}

// Tags 4, 6 and 8 are reserved (removed int/double variants of the pre-1.0 protocol).
message Metric {
  string name = 1;
  string description = 2;
  string unit = 3;
  oneof data {
    Gauge gauge = 5;
    Sum sum = 7;
    Histogram histogram = 9;
    ExponentialHistogram exponential_histogram = 10;
    Summary summary = 11;
  }
  repeated KeyValue metadata = 12;
}

enum AggregationTemporality {
  AGGREGATION_TEMPORALITY_UNSPECIFIED = 0;
  AGGREGATION_TEMPORALITY_DELTA = 1;
  AGGREGATION_TEMPORALITY_CUMULATIVE = 2;
}

message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum {
  repeated NumberDataPoint data_points = 1;
  AggregationTemporality aggregation_temporality = 2;
  bool is_monotonic = 3;
}
message Histogram {
  repeated HistogramDataPoint data_points = 1;
  AggregationTemporality aggregation_temporality = 2;
}
message ExponentialHistogram {
  repeated ExponentialHistogramDataPoint data_points = 1;
  AggregationTemporality aggregation_temporality = 2;
}
message Summary { repeated SummaryDataPoint data_points = 1; }

message NumberDataPoint {
  repeated KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  oneof value {
    double as_double = 4;
    sfixed64 as_int = 6;
  }
  uint32 flags = 8;
}

message HistogramDataPoint {
  repeated KeyValue attributes = 9;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  optional double sum = 5;
  repeated fixed64 bucket_counts = 6;
  repeated double explicit_bounds = 7;
  uint32 flags = 10;
  optional double min = 11;
  optional double max = 12;
}

message ExponentialHistogramDataPoint {
  message Buckets {
    sint32 offset = 1;
    repeated uint64 bucket_counts = 2;
  }
  repeated KeyValue attributes = 1;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  optional double sum = 5;
  sint32 scale = 6;
  fixed64 zero_count = 7;
  Buckets positive = 8;
  Buckets negative = 9;
  uint32 flags = 10;
  optional double min = 12;
  optional double max = 13;
  double zero_threshold = 14;
}

message SummaryDataPoint {
  message ValueAtQuantile {
    double quantile = 1;
    double value = 2;
  }
  repeated KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  double sum = 5;
  repeated ValueAtQuantile quantile_values = 6;
  uint32 flags = 8;
}
`;

const root = protobuf.parse(OTLP_METRICS_PROTO, { keepCase: false }).root;

export const ExportMetricsServiceRequest = root.lookupType("procwatch.test.otlp.ExportMetricsServiceRequest");
export const ExportMetricsServiceResponse = root.lookupType("procwatch.test.otlp.ExportMetricsServiceResponse");

/**
 * Protobuf bytes → the object OTLP/JSON would have carried: lowerCamelCase keys, 64-bit integers
 * as decimal strings, enums as numbers, bytes as base64 (protobuf's JSON mapping), absent fields
 * left out. Throws protobufjs's error on malformed input.
 */
export function decodeMetricsRequest(body: Uint8Array): unknown {
  const message = ExportMetricsServiceRequest.decode(body);
  return ExportMetricsServiceRequest.toObject(message, { longs: String, enums: Number, bytes: String, defaults: false });
}

/** Object in the OTLP/JSON shape → protobuf bytes; lets tests hand-craft edge cases. */
export function encodeMetricsRequest(request: Record<string, unknown>): Uint8Array {
  return ExportMetricsServiceRequest.encode(ExportMetricsServiceRequest.fromObject(request)).finish();
}
