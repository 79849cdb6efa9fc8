// An HTTP response read whole, its body as JSON when it is JSON: how the API tests look at replies.
import type { IncomingMessage } from "node:http";

export interface Reply { status: number; body: any; text: string }

export function collect(res: IncomingMessage): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    res.on("data", (d: Buffer) => parts.push(d));
    res.on("error", reject);
    res.on("end", () => {
      const text = Buffer.concat(parts).toString("utf8");
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      resolve({ status: res.statusCode ?? 0, body, text });
    });
  });
}
