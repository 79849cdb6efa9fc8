// The images an upgrade test offers a guest: served over HTTP from the host's loopback (the guest
// reaches it as 10.0.2.2), and the next version's, built in a child process.
import { spawn } from "node:child_process";
import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

/**
 * The upgrade images, served to the guest from the host's loopback (the guest reaches it as
 * 10.0.2.2). `/slow/…` sends 512 KiB a second, so a test can cut the power mid-download.
 */
export function serveImages(files: Record<string, string>): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const slow = req.url!.startsWith("/slow/");
    const file = files[req.url!.replace(/^\/slow/, "")];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { "content-length": String(statSync(file).size) });
    const body = createReadStream(file, { highWaterMark: slow ? 64 * 1024 : 256 * 1024 });
    const resume = () => (slow ? setTimeout(() => body.resume(), 125) : body.resume());
    body.on("data", (c) => {
      body.pause();
      if (res.write(c)) resume();
      else res.once("drain", resume);
    });
    body.on("end", () => res.end());
    res.on("close", () => body.destroy());
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as AddressInfo).port })));
}

/** The next version's upgrade image, built by a child process. */
export function buildNext(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("node", ["--import", "tsx", "-e", 'const m = await import("./test/fixtures/next-build.ts"); console.log("NEXT=" + m.nextUpgradeImage());'], { cwd: join(import.meta.dirname, "../.."), stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("close", (code) => {
      const m = /^NEXT=(.+)$/m.exec(out);
      if (code === 0 && m) resolve(m[1]!);
      else reject(new Error(`building the next version failed (${code}):\n${out.slice(-3000)}`));
    });
  });
}
