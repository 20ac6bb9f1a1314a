// Bundle entry of `procwatch run` and `validate`: loaded only for those commands, so the one-shot
// check never loads the OpenTelemetry SDK this bundle carries.
export { startDaemon, validateConfig } from "../daemon/commands.js";
