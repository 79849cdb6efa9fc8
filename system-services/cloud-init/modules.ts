// rancher.modules: each entry is `name [param=value …]`, loaded with modprobe, as RancherOS did.
import { release } from "node:os";
import { join } from "node:path";
import { run } from "../../os/exec.ts";
import { paths } from "../../os/paths.ts";

export async function loadModule(spec: string): Promise<void> {
  const [name, ...params] = spec.trim().split(/\s+/);
  if (!name) throw new Error("an empty entry: write a module name, like br_netfilter");
  // modprobe looks under <dir>/lib/modules/<release>: the root paths.modules lives in.
  const root = join(paths.modules, "../..");
  try {
    await run("modprobe", ["-d", root, name, ...params]);
  } catch (e) {
    const msg = (e as Error).message;
    if (/not found in directory/.test(msg)) throw new Error(`kernel module "${name}" is not in this image (${join(paths.modules, release())}): remove it from rancher.modules, or use an image that ships it`);
    throw new Error(`modprobe ${name} failed: ${msg.slice(msg.indexOf("): ") + 3)}`);
  }
}
