// What the agent does next, from rancher.agent.swarm and what the user Docker says of its swarm
// membership. Pure: the agent (index.ts) carries the step out and comes back for the next one.
import type { RancherConfig } from "../../cloud-config/schema/index.ts";

export type SwarmConfig = NonNullable<NonNullable<RancherConfig["agent"]>["swarm"]>;

/** The part of `docker info`'s Swarm object the plan reads. */
export interface SwarmInfo {
  LocalNodeState: "inactive" | "pending" | "active" | "error" | "locked" | string;
  NodeID?: string;
  ControlAvailable?: boolean;
  Error?: string;
}

/** Docker's own default, said here so the init request and `ros agent status` agree. */
export const DEFAULT_LISTEN = "0.0.0.0:2377";

export type Step =
  | { do: "nothing"; why: string }
  | { do: "init"; listenAddr: string; advertiseAddr?: string }
  | { do: "join"; remoteAddrs: string[]; listenAddr: string; advertiseAddr?: string }
  /** A join left half-done (dockerd keeps it pending): dropped so the next join uses today's config. */
  | { do: "abandon"; why: string }
  /** Nothing to do until something outside changes (the config, the token file); tried again later. */
  | { do: "wait"; why: string };

export interface PlanInput {
  swarm: SwarmConfig | undefined;
  info: SwarmInfo;
  /** `ros agent leave` ran this boot: stay out. */
  left: boolean;
}

export function plan({ swarm, info, left }: PlanInput): Step {
  if (!swarm) return { do: "nothing", why: "rancher.agent.swarm is not set" };
  switch (info.LocalNodeState) {
    case "active":
      return { do: "nothing", why: `already in the swarm as node ${info.NodeID ?? "?"}` };
    case "locked":
      return { do: "wait", why: "the swarm is locked (autolock): unlock this node with its unlock key" };
    case "pending":
      // A member back from a reboot has its node id (its certificate) while it reconnects: it must
      // not be forced out. Only a first join never completed has none.
      if (info.NodeID) return { do: "wait", why: `node ${info.NodeID} is reconnecting to its managers (Docker retries by itself)` };
      return { do: "abandon", why: "an earlier join has not completed (the managers were not reachable)" };
  }
  if (left) return { do: "nothing", why: "this node left the swarm with `ros agent leave`; it joins again at the next boot" };
  const listenAddr = swarm.listen_addr ?? DEFAULT_LISTEN;
  const advertise = swarm.advertise_addr ? { advertiseAddr: swarm.advertise_addr } : {};
  if (swarm.init) return { do: "init", listenAddr, ...advertise };
  if (swarm.join?.length) return { do: "join", remoteAddrs: swarm.join, listenAddr, ...advertise };
  return { do: "wait", why: "rancher.agent.swarm has neither init: true nor join: [manager addresses]" };
}

/** Said once the node is in: a role that is not the one asked for means the wrong token was used. */
export function roleMismatch(swarm: SwarmConfig | undefined, info: SwarmInfo): string | undefined {
  if (!swarm?.role || info.LocalNodeState !== "active") return undefined;
  const actual = info.ControlAvailable ? "manager" : "worker";
  if (swarm.role === actual) return undefined;
  return `rancher.agent.swarm.role is ${swarm.role} but this node is a ${actual} (the role comes from the token: use the swarm's ${swarm.role} token)`;
}
