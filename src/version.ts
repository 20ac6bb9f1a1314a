// The version procwatch reports (--version, service.version, the OTel scope). Keep in step with package.json.
export const VERSION = "0.1.0";
