// Whether a PID names a running process: how a writer's leftovers (a temp file, a lock) are told
// from those of one killed mid-way.
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // It exists, but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
