// What a container's labels ask of container-cron: when to act, and what to do then.
import { parseSchedule, type Schedule } from "./schedule.ts";

export const CRON_LABEL = { schedule: "cron.schedule", action: "cron.action" } as const;

export const ACTIONS = ["start", "restart", "stop"] as const;
export type Action = (typeof ACTIONS)[number];

export interface CronSpec {
  schedule: Schedule;
  action: Action;
}

/** The spec a container's labels describe; throws an Error saying which label is wrong and why. */
export function cronSpec(labels: Record<string, string>): CronSpec {
  const raw = labels[CRON_LABEL.schedule] ?? "";
  let schedule: Schedule;
  try {
    schedule = parseSchedule(raw);
  } catch (e) {
    throw new Error(`bad ${CRON_LABEL.schedule} "${raw}": ${(e as Error).message}`);
  }
  const action = (labels[CRON_LABEL.action] ?? "start").trim().toLowerCase() || "start";
  if (!(ACTIONS as readonly string[]).includes(action)) throw new Error(`bad ${CRON_LABEL.action} "${labels[CRON_LABEL.action]}": use ${ACTIONS.join(", ")}`);
  return { schedule, action: action as Action };
}
