// write_files entries with RancherOS's `container: NAME`: written into that system service's
// container through the system Docker's archive API, owner names read from the container's /etc.
import type Docker from "dockerode";
import type { WriteFile } from "../../cloud-config/schema/index.ts";
import { parseAccounts, ownerIds } from "./accounts.ts";
import { containerNamed } from "../../os/services/named.ts";
import { decodeContent, parseMode, parseOwner } from "./file-spec.ts";
import { firstFileOfTar, tarFile } from "./tar.ts";

const notFound = (e: unknown) => (e as { statusCode?: number }).statusCode === 404;

/** A file of the container, or undefined when it has none. */
async function readFile(c: Docker.Container, path: string): Promise<Buffer | undefined> {
  try {
    return await firstFileOfTar((await c.getArchive({ path })) as NodeJS.ReadableStream);
  } catch (e) {
    if (notFound(e)) return undefined;
    throw e;
  }
}

export async function writeContainerFile(docker: Docker, f: WriteFile & { container: string }): Promise<void> {
  const c = await containerNamed(docker, f.container);
  if (!c) throw new Error(`container "${f.container}" does not exist on the system Docker: name a system service that has run at least once (see ros service list)`);
  let data = decodeContent(f.content ?? "", f.encoding);
  const mode = parseMode(f.permissions);
  const owner = parseOwner(f.owner);
  const accounts = parseAccounts(String((await readFile(c, "/etc/passwd")) ?? ""), String((await readFile(c, "/etc/group")) ?? ""));
  const ids = ownerIds(owner, accounts, `the ${f.container} container`, "name one of its image's users, or use a numeric id");
  // A tar entry always carries a group: without one, the user's own group (else root's).
  const gid = ids.gid !== -1 ? ids.gid : ([...accounts.users.values()].find((u) => u.uid === ids.uid)?.gid ?? 0);
  if (f.append) data = Buffer.concat([(await readFile(c, f.path)) ?? Buffer.alloc(0), data]);
  // Extracted at /, so Docker creates missing parent folders instead of refusing the copy.
  await c.putArchive(await tarFile({ path: f.path.replace(/^\/+/, ""), data, mode, uid: ids.uid, gid }), { path: "/" });
}
