// How the API tests read replies: an HTTP response read whole, its body as JSON when it is JSON;
// and a streamed one read until it says enough, then hung up.
import { request, type IncomingMessage, type RequestOptions } from "node:http";

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

/** The body of a response that does not end (followed logs) as far as `enough` of it, then the client hangs up. */
export function readUntil(o: RequestOptions, enough: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(o, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => {
        text += d.toString("utf8");
        if (enough(text)) req.destroy(), resolve(text);
      });
    });
    req.on("error", (e) => (e.message.includes("socket hang up") ? undefined : reject(e)));
    req.end();
  });
}
