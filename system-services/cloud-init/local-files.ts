// write_files entries without a container target, written where this process runs (the console).
import { appendFileSync, chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { WriteFile } from "../../cloud-config/schema/index.ts";
import { ROS_ROOT } from "../../os/paths.ts";
import { localAccounts, ownerIds } from "./accounts.ts";
import { decodeContent, parseMode, parseOwner } from "./file-spec.ts";

export function writeLocalFile(f: WriteFile): void {
  // Everything is checked before the file is touched: a bad owner must not leave a half-done file.
  const data = decodeContent(f.content ?? "", f.encoding);
  const mode = parseMode(f.permissions);
  const { uid, gid } = ownerIds(parseOwner(f.owner), localAccounts(), "the console", "a user made by users: needs defer: true on this file; or use a numeric id");
  const file = join(ROS_ROOT, f.path);
  mkdirSync(dirname(file), { recursive: true });
  if (f.append) appendFileSync(file, data, { mode });
  else writeFileSync(file, data, { mode });
  // The mode given at creation is cut by the umask and ignored for an existing file.
  chmodSync(file, mode);
  chownSync(file, uid, gid);
}
