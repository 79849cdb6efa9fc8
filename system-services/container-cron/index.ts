// `ros container-cron`, the entry of the catalog service of that name: containers on either Docker
// that carry a `cron.schedule` label are started (or restarted, or stopped: `cron.action`) at each
// time of their schedule, for as long as they exist.
import { join } from "node:path";
import Docker from "dockerode";
import { log } from "../../os/log.ts";
import { paths } from "../../os/paths.ts";
import { dockerMessage } from "../../os/services/docker-errors.ts";
import { act, gone } from "./action.ts";
import { CRON_LABEL, cronSpec, type Action, type CronSpec } from "./labels.ts";
import { tick, type Ticker } from "./ticker.ts";
import { watchLabelled, type Labelled } from "./watch.ts";

export interface CronEngine {
  /** How the log names this Docker: "system", "user". */
  name: string;
  docker: Docker;
}

export interface CronOptions {
  /** Where each line goes; the default prints it as `container-cron: …`. */
  log?: (message: string) => void;
  /** How often to try a Docker that is not answering. */
  retryMs?: number;
}

export interface ScheduledJob {
  engine: string;
  id: string;
  name: string;
  schedule: string;
  action: Action;
}

export interface ContainerCron {
  /** The containers scheduled now. */
  scheduled(): ScheduledJob[];
  /** Stops watching and scheduling; resolves once runs in progress have finished. */
  stop(): Promise<void>;
}

interface Job extends ScheduledJob {
  ticker: Ticker;
}

/** Runs the scheduler against the given Dockers until stop(). */
export function startContainerCron(engines: CronEngine[], o: CronOptions = {}): ContainerCron {
  const say = o.log ?? ((m: string) => log("container-cron", m));
  const jobs = new Map<string, Job>();
  // Containers whose labels were reported bad: each is reported once, not at every listing.
  const rejected = new Set<string>();
  const keyOf = (engine: string, id: string) => `${engine}/${id}`;

  const drop = (key: string) => {
    jobs.get(key)?.ticker.stop();
    jobs.delete(key);
  };

  const schedule = (e: CronEngine, c: Labelled, spec: CronSpec) => {
    const key = keyOf(e.name, c.id);
    const about = `schedule ${spec.schedule.text}, ${e.name} Docker`;
    // Listed before its ticker starts, so a schedule that fails at once is dropped from the list.
    const job: Job = { engine: e.name, id: c.id, name: c.name, schedule: spec.schedule.text, action: spec.action, ticker: { stop() {}, idle: async () => {} } };
    jobs.set(key, job);
    say(`scheduled ${c.name} to ${spec.action} (${about})`);
    const run = async () => {
      try {
        say(`${await act(e.docker, c.id, spec.action, job.name)} (${about})`);
      } catch (err) {
        // Removed meanwhile: its destroy event drops the job; that is no failure to report.
        if (!(await gone(e.docker, c.id))) say(`could not ${spec.action} ${job.name} (${about}): ${dockerMessage(err)}`);
      }
    };
    job.ticker = tick(spec.schedule, run, (err) => {
      say(`${job.name}: no next time for ${CRON_LABEL.schedule} "${spec.schedule.text}" (${err.message}); no longer scheduled`);
      drop(key);
      rejected.add(key);
    });
  };

  const sync = (e: CronEngine, found: Labelled[]) => {
    const present = new Set(found.map((c) => keyOf(e.name, c.id)));
    for (const [key, job] of jobs) if (job.engine === e.name && !present.has(key)) drop(key);
    for (const key of rejected) if (key.startsWith(`${e.name}/`) && !present.has(key)) rejected.delete(key);
    for (const c of found) {
      const key = keyOf(e.name, c.id);
      const job = jobs.get(key);
      // Labels never change on a container, so a known one keeps its timer; only a rename shows.
      if (job) job.name = c.name;
      else if (!rejected.has(key)) {
        try {
          schedule(e, c, cronSpec(c.labels));
        } catch (err) {
          rejected.add(key);
          say(`${c.name}: ${(err as Error).message}; not scheduled (${e.name} Docker)`);
        }
      }
    }
  };

  const watches = engines.map((e) =>
    watchLabelled(
      e.docker,
      CRON_LABEL.schedule,
      {
        onList: (found) => sync(e, found),
        onReachable: (up) => {
          if (up) return say(`watching the ${e.name} Docker`);
          // Its containers cannot be acted on while it is gone; the listing on its return reschedules them.
          for (const [key, job] of jobs) if (job.engine === e.name) drop(key);
          say(`lost the ${e.name} Docker; waiting for it`);
        },
      },
      o.retryMs,
    ),
  );

  return {
    scheduled: () => [...jobs.values()].map(({ ticker: _, ...j }) => j),
    async stop() {
      for (const w of watches) w.stop();
      const running = [...jobs.values()].map((j) => (j.ticker.stop(), j.ticker.idle()));
      jobs.clear();
      await Promise.all(running);
    },
  };
}

export async function containerCron(): Promise<void> {
  const cron = startContainerCron([
    { name: "system", docker: new Docker({ socketPath: paths.systemDockerSock }) },
    // The socket inside the folder the service mounts: the /var/run/docker.sock link to it is the
    // host's and the console's, not this container's.
    { name: "user", docker: new Docker({ socketPath: join(paths.userDockerRun, "docker.sock") }) },
  ]);
  for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => void cron.stop().then(() => process.exit(0)));
}
