// The join token: rancher.agent.swarm.token, or the first line of token_file (a host path, read
// again at every attempt so a token written later, e.g. by write_files, is picked up).
import { readFileSync } from "node:fs";
import { hostPath } from "../../os/paths.ts";
import type { SwarmConfig } from "./plan.ts";

export class TokenError extends Error {}

export function joinToken(swarm: SwarmConfig): string {
  if (swarm.token) return swarm.token.trim();
  if (!swarm.token_file) throw new TokenError("no join token: set rancher.agent.swarm.token or token_file");
  let text: string;
  try {
    text = readFileSync(hostPath(swarm.token_file), "utf8");
  } catch (e) {
    throw new TokenError(`token_file ${swarm.token_file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist (yet)" : (e as Error).message}`);
  }
  const token = text.trim().split("\n")[0]?.trim();
  if (!token) throw new TokenError(`token_file ${swarm.token_file} is empty`);
  return token;
}
