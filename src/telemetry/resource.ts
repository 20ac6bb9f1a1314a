// The resource every export carries: service.name/version, a stable service.instance.id, host.name
// and host.id; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override (envDetector, merged last).
import { createHash } from "node:crypto";
import { isRefusal, readRegularFile } from "../procfs/regular-file.js";
import { hostname } from "node:os";
import { defaultResource, detectResources, envDetector, hostDetector, type Resource, resourceFromAttributes } from "@opentelemetry/resources";

/**
 * Semantic conventions, service.instance.id: an inherent stable id "SHOULD be used as source of a
 * UUID Version 5 and SHOULD use the following UUID as the namespace"
 * (https://opentelemetry.io/docs/specs/semconv/attributes-registry/service/).
 */
const INSTANCE_NAMESPACE = "4d63009a-8d0f-11ee-aad7-4c796ed8e320";

export function buildResource(version: string, env: NodeJS.ProcessEnv): Resource {
  const host = hostname();
  const machine = machineId();
  const detected = detectResources({ detectors: [hostDetector, envDetector] });
  // The instance id names this service on this machine: machine-id (not exposed raw in it, it is
  // a digest) and the service name, so it survives restarts and reboots and two services differ.
  const serviceName = envServiceName(env) ?? "procwatch";
  const instance = uuidV5(INSTANCE_NAMESPACE, `${machine ?? host}/${serviceName}`);
  return defaultResource()
    .merge(resourceFromAttributes({
      "service.name": "procwatch", "service.version": version, "service.instance.id": instance, "host.name": host,
      ...(machine === undefined ? {} : { "host.id": machine }),
    }))
    // Last, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override; adds host.arch.
    .merge(detected);
}

/** The name envDetector will give: OTEL_SERVICE_NAME, else service.name in OTEL_RESOURCE_ATTRIBUTES. */
function envServiceName(env: NodeJS.ProcessEnv): string | undefined {
  const own = env.OTEL_SERVICE_NAME?.trim();
  if (own !== undefined && own !== "") return own;
  for (const item of (env.OTEL_RESOURCE_ATTRIBUTES ?? "").split(",")) {
    const eq = item.indexOf("=");
    if (eq > 0 && item.slice(0, eq).trim() === "service.name") {
      try {
        return decodeURIComponent(item.slice(eq + 1).trim());
      } catch {
        return undefined; // envDetector drops an undecodable value too
      }
    }
  }
  return undefined;
}

/** RFC 9562 §5.5: SHA-1 of namespace bytes + name, version 5, variant 10. */
export function uuidV5(namespace: string, name: string): string {
  const digest = createHash("sha1").update(Buffer.from(namespace.replace(/-/g, ""), "hex")).update(name, "utf8").digest();
  digest[6] = ((digest[6] ?? 0) & 0x0f) | 0x50;
  digest[8] = ((digest[8] ?? 0) & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** host.id read at start: the host detector reads it asynchronously, and the Prometheus exporter
 * serialises target_info without waiting for such attributes, so it never showed there. */
const MACHINE_ID_CAP = 4096;

function machineId(): string | undefined {
  for (const path of ["/etc/machine-id", "/var/lib/dbus/machine-id"]) {
    // Bounded and never blocking (a FIFO or a huge file in its place is refused, not read):
    // machine-id(5) is 32 hex digits and a newline.
    const bytes = readRegularFile(path, MACHINE_ID_CAP);
    if (isRefusal(bytes)) continue; // absent in some containers: try the next, else no host.id
    const id = bytes.toString("utf8").trim();
    if (/^[0-9a-f]{32}$/i.test(id)) return id;
  }
  return undefined;
}
