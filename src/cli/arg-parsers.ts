// A commander argument parser for durations that names the flag in its error.
import { InvalidArgumentError } from "commander";
import { parseDuration } from "../rules/duration.js";

export const durationArg = (flag: string, minMs = 1) => (value: string): number => {
  try {
    return parseDuration(value, { minMs });
  } catch (err) {
    throw new InvalidArgumentError(`${flag}: ${(err as Error).message}`);
  }
};
