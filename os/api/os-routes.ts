// /os: the running version, what the host uses (metrics), and an upgrade into the other slot (what `ros os upgrade` does; it
// boots once on the next reboot and stays only if it comes up healthy).
import { loadConfig } from "../../cloud-config/load.ts";
import { ImageRejected } from "../upgrade/receive.ts";
import { parsePublicKey } from "../upgrade/release.ts";
import { SourceError } from "../upgrade/source.ts";
import { upgrade } from "../upgrade/upgrade.ts";
import { VERSION } from "../version.ts";
import { engines } from "../services/engines.ts";
import { hostMetrics } from "./host-metrics.ts";
import { ApiError, type Route } from "./route.ts";

export function osRoutes(): Route[] {
  return [
    { method: "GET", path: "/os/version", summary: "The running Corral version", handler: async () => ({ body: { version: VERSION } }) },
    {
      method: "GET",
      path: "/os/metrics",
      summary: "What the host uses: CPU (busy share, load, cores), memory, the filesystems Corral keeps data on, and each container of both Dockers (CPU share, memory)",
      handler: async () => {
        // A Docker that is not up yet is reported at once, not waited for.
        const e = engines(undefined, undefined, 1000);
        return { body: await hostMetrics([{ name: "system", docker: async () => (await e.system.ping(), e.system) }, { name: "user", docker: () => e.user() }]) };
      },
    },
    {
      method: "POST",
      path: "/os/upgrade",
      summary: "Write an upgrade image into the other slot (it boots once at the next reboot)",
      requestBody: { type: "application/json", description: '{"image": file or URL (default rancher.upgrade.url), "force": write even the running version}' },
      handler: async ({ json }) => {
        const o = await json<{ image?: string; force?: boolean }>();
        const { config } = loadConfig();
        const image = o.image ?? config.rancher?.upgrade?.url;
        if (!image) throw new ApiError(400, "which image? give image, or set rancher.upgrade.url");
        const keyText = config.rancher?.upgrade?.public_key;
        let publicKey;
        try {
          publicKey = keyText ? parsePublicKey(keyText) : undefined;
        } catch (e) {
          throw new ApiError(409, `rancher.upgrade.public_key is not a usable key: ${(e as Error).message}`);
        }
        try {
          const r = await upgrade({ image, force: o.force, publicKey });
          return { body: { slot: r.slot, version: r.release.version, verified: publicKey !== undefined } };
        } catch (e) {
          if (e instanceof ImageRejected || e instanceof SourceError) throw new ApiError(422, `${(e as Error).message}; the running slot is untouched`);
          throw e;
        }
      },
    },
  ];
}
