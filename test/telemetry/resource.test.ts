// service.instance.id: the UUID v5 construction against published vectors.
import assert from "node:assert/strict";
import { test } from "node:test";
import { uuidV5 } from "../../src/telemetry/resource.js";

const DNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

test("uuidV5 matches RFC 9562 Appendix A.4 and Python's uuid.uuid5", () => {
  // RFC 9562 A.4: UUIDv5 of "www.example.com" in the DNS namespace.
  assert.equal(uuidV5(DNS, "www.example.com"), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
  assert.equal(uuidV5(DNS, "python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
});
