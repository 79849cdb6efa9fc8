// Where the user Docker answers. dockerd makes its socket in /var/run/user-docker, the folder the
// `docker` service shares with the host; /var/run/docker.sock, where every client looks, links to
// it. Both the host (init) and the service's own container make that link: in the container it is
// what a user container's `-v /var/run/docker.sock:…` resolves to.
import { lstatSync, mkdirSync, readlinkSync, renameSync, rmSync, rmdirSync, symlinkSync } from "node:fs";
import { dirname, relative } from "node:path";
import { paths } from "../../os/paths.ts";


/** Makes paths.userDockerSock a relative link to the user Docker's socket (so it holds under ROS_ROOT). Idempotent. */
export function linkUserDockerSocket(): void {
  mkdirSync(paths.userDockerRun, { recursive: true });
  const link = paths.userDockerSock;
  const target = relative(dirname(link), paths.userDockerSocket);
  const existing = lstatSync(link, { throwIfNoEntry: false });
  if (existing?.isSymbolicLink() && readlinkSync(link) === target) return;
  // A bind of the socket before it existed leaves an empty folder in its place.
  if (existing?.isDirectory()) rmdirSync(link);
  // Made aside and renamed over: a client never finds the name missing.
  const tmp = `${link}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  symlinkSync(target, tmp);
  renameSync(tmp, link);
}
