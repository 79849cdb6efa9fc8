// Datasources that speak HTTP, against real local servers (node:http on 127.0.0.1) serving each
// service's documented protocol, and fetchFirst's time budget against servers that never answer.
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import { digitalOceanSource } from "../../cloud-config/datasources/digitalocean.ts";
import { ec2Source } from "../../cloud-config/datasources/ec2.ts";
import { gceSource } from "../../cloud-config/datasources/gce.ts";
import { httpRequest, NoAnswer, whenAnswering } from "../../cloud-config/datasources/http.ts";
import { datasourcesFor, fetchFirst, type Datasource } from "../../cloud-config/datasources/index.ts";
import { MAX_BYTES, TOKEN_TIMEOUT_MS } from "../../cloud-config/datasources/limits.ts";
import { openstackSource } from "../../cloud-config/datasources/openstack.ts";
import { urlSource } from "../../cloud-config/datasources/url.ts";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: ReturnType<typeof createServer>[] = [];
after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

/** A server on 127.0.0.1; its base URL has no trailing slash. */
async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Serves a path → body table; anything else is a 404. */
function routes(table: Record<string, string | undefined>, headers: Record<string, string> = {}): Handler {
  return (req, res) => {
    const body = table[req.url ?? ""];
    res.writeHead(body === undefined ? 404 : 200, { "content-type": "text/plain", ...headers });
    res.end(body ?? "not found");
  };
}

/** A server that takes requests and never answers; `closed` counts requests whose client went away. */
async function hangingServer(): Promise<{ base: string; seen: () => number; closed: Promise<void> }> {
  let seen = 0;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const base = await serve((req) => {
    seen++;
    req.socket.on("close", resolveClosed);
  });
  return { base, seen: () => seen, closed };
}

/** Waits for `p`, failing after ms (the timer does not outlive it). */
async function within<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const never = () => new AbortController().signal;
const USER_DATA = "#cloud-config\nhostname: from-user-data\n";

// ---- EC2 ----------------------------------------------------------------------------------------

interface Ec2Log { puts: string[]; getTokens: (string | undefined)[] }

function ec2Server(opts: { tokens: "required" | "unsupported"; userData?: string }, log: Ec2Log): Handler {
  const TOKEN = "AQAEAtoken==";
  const table: Record<string, string | undefined> = {
    "/latest/meta-data/instance-id": "i-0123456789abcdef0",
    "/latest/meta-data/local-hostname": "ip-10-0-0-5.ec2.internal",
    "/latest/meta-data/local-ipv4": "10.0.0.5",
    "/latest/meta-data/public-ipv4": "54.1.2.3",
    "/latest/meta-data/ipv6": "2600:1f18::5",
    "/latest/meta-data/placement/availability-zone": "us-east-1a",
    "/latest/meta-data/placement/region": "us-east-1",
    "/latest/meta-data/public-keys/": "0=main\n1=backup",
    "/latest/meta-data/public-keys/0/openssh-key": "ssh-ed25519 AAAAmain main@laptop\n",
    "/latest/meta-data/public-keys/1/openssh-key": "ssh-rsa AAAAbackup backup",
    "/latest/user-data": opts.userData,
  };
  const serveRoutes = routes(table);
  return (req, res) => {
    if (req.method === "PUT" && req.url === "/latest/api/token") {
      log.puts.push(String(req.headers["x-aws-ec2-metadata-token-ttl-seconds"]));
      if (opts.tokens === "unsupported") return void res.writeHead(403).end();
      if (!req.headers["x-aws-ec2-metadata-token-ttl-seconds"]) return void res.writeHead(400).end();
      return void res.writeHead(200).end(TOKEN);
    }
    const tok = req.headers["x-aws-ec2-metadata-token"] as string | undefined;
    log.getTokens.push(tok);
    if (opts.tokens === "required" && tok !== TOKEN) return void res.writeHead(401).end();
    serveRoutes(req, res);
  };
}

describe("ec2", () => {
  test("IMDSv2: takes a token with a TTL, sends it on every GET, reads user data and metadata", async () => {
    const log: Ec2Log = { puts: [], getTokens: [] };
    const base = await serve(ec2Server({ tokens: "required", userData: USER_DATA }, log));
    const found = await ec2Source(base).fetch(never());
    assert.ok(found);
    assert.equal(found.source, `ec2:${base}/latest/user-data`);
    assert.equal(found.userData?.toString(), USER_DATA);
    assert.deepEqual(found.metadata, {
      instanceId: "i-0123456789abcdef0",
      hostname: "ip-10-0-0-5.ec2.internal",
      privateIpv4: "10.0.0.5",
      publicIpv4: "54.1.2.3",
      privateIpv6: "2600:1f18::5",
      zone: "us-east-1a",
      region: "us-east-1",
      publicKeys: ["ssh-ed25519 AAAAmain main@laptop", "ssh-rsa AAAAbackup backup"],
    });
    assert.equal(log.puts.length, 1);
    assert.match(log.puts[0]!, /^\d+$/);
    assert.ok(log.getTokens.length > 5 && log.getTokens.every((t) => t === "AQAEAtoken=="));
  });

  test("IMDSv1 fallback: when the token PUT is refused, plain GETs", async () => {
    const log: Ec2Log = { puts: [], getTokens: [] };
    const base = await serve(ec2Server({ tokens: "unsupported", userData: USER_DATA }, log));
    const found = await ec2Source(base).fetch(never());
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.equal(found?.metadata.instanceId, "i-0123456789abcdef0");
    assert.equal(log.puts.length, 1);
    assert.ok(log.getTokens.every((t) => t === undefined));
  });

  test("IMDSv1 fallback: when the token PUT gets no answer in time (a hop limit drops it), plain GETs", async () => {
    const log: Ec2Log = { puts: [], getTokens: [] };
    const v1 = ec2Server({ tokens: "unsupported", userData: USER_DATA }, log);
    const base = await serve((req, res) => (req.method === "PUT" ? log.puts.push("hung") : v1(req, res)));
    const t0 = Date.now();
    const found = await ec2Source(base).fetch(never());
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.ok(Date.now() - t0 >= TOKEN_TIMEOUT_MS - 50);
    assert.deepEqual(log.puts, ["hung"]);
  });

  test("no user data (404) is still a Found: the instance's metadata without userData", async () => {
    const base = await serve(ec2Server({ tokens: "required" }, { puts: [], getTokens: [] }));
    const found = await ec2Source(base).fetch(never());
    assert.ok(found);
    assert.equal(found.userData, undefined);
    assert.equal(found.metadata.hostname, "ip-10-0-0-5.ec2.internal");
  });

  test("a server without instance-id is not EC2: absent", async () => {
    const base = await serve(routes({}));
    assert.equal(await ec2Source(base).fetch(never()), undefined);
  });
});

// ---- OpenStack ----------------------------------------------------------------------------------

describe("openstack", () => {
  const meta = JSON.stringify({ uuid: "83679162-1378-4288-a2d4-70e13ec132aa", hostname: "os-vm.novalocal", name: "os-vm", availability_zone: "nova", public_keys: { mykey: "ssh-ed25519 AAAAos os@host" } });

  test("reads meta_data.json and user_data", async () => {
    const base = await serve(routes({ "/openstack/latest/meta_data.json": meta, "/openstack/latest/user_data": USER_DATA }));
    const found = await openstackSource(base).fetch(never());
    assert.equal(found?.source, `openstack:${base}/openstack/latest/user_data`);
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.deepEqual(found?.metadata, { instanceId: "83679162-1378-4288-a2d4-70e13ec132aa", hostname: "os-vm.novalocal", zone: "nova", publicKeys: ["ssh-ed25519 AAAAos os@host"] });
  });

  test("no user_data: metadata only; no meta_data.json: absent; bad JSON: fails saying where", async () => {
    const base = await serve(routes({ "/openstack/latest/meta_data.json": meta }));
    const found = await openstackSource(base).fetch(never());
    assert.ok(found && found.userData === undefined && found.metadata.hostname === "os-vm.novalocal");
    assert.equal(await openstackSource(await serve(routes({}))).fetch(never()), undefined);
    const bad = await serve(routes({ "/openstack/latest/meta_data.json": "{nope" }));
    await assert.rejects(openstackSource(bad).fetch(never()), /meta_data\.json: not valid JSON/);
  });
});

// ---- GCE ----------------------------------------------------------------------------------------

describe("gce", () => {
  function gceServer(table: Record<string, string | undefined>, refused: { count: number }): Handler {
    const serveRoutes = routes(Object.fromEntries(Object.entries(table).map(([k, v]) => [`/computeMetadata/v1/${k}`, v])), { "Metadata-Flavor": "Google" });
    return (req, res) => {
      if (req.headers["metadata-flavor"] !== "Google") {
        refused.count++;
        return void res.writeHead(403, { "Metadata-Flavor": "Google" }).end("Missing Metadata-Flavor:Google header.");
      }
      serveRoutes(req, res);
    };
  }
  const instance = {
    "instance/id": "4567890123456789",
    "instance/hostname": "vm-1.c.my-project.internal",
    "instance/zone": "projects/123456/zones/europe-west1-b",
    "instance/network-interfaces/0/ip": "10.132.0.2",
    "instance/network-interfaces/0/access-configs/0/external-ip": "34.76.1.2",
    "instance/attributes/ssh-keys": "alice:ssh-ed25519 AAAAalice alice\n\nbob:ssh-rsa AAAAbob bob\n",
    "project/attributes/ssh-keys": "carol:ssh-ed25519 AAAAcarol carol",
  };

  test("sends Metadata-Flavor: Google (the server refuses requests without it), reads user data, keys, zone", async () => {
    const refused = { count: 0 };
    const base = await serve(gceServer({ ...instance, "instance/attributes/user-data": USER_DATA }, refused));
    assert.equal((await fetch(`${base}/computeMetadata/v1/instance/id`)).status, 403); // the server enforces the header
    refused.count = 0;
    const found = await gceSource(base).fetch(never());
    assert.equal(refused.count, 0);
    assert.equal(found?.source, `gce:${base}/computeMetadata/v1/instance/attributes/user-data`);
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.deepEqual(found?.metadata, {
      instanceId: "4567890123456789",
      hostname: "vm-1.c.my-project.internal",
      zone: "europe-west1-b",
      region: "europe-west1",
      privateIpv4: "10.132.0.2",
      publicIpv4: "34.76.1.2",
      publicKeys: ["ssh-ed25519 AAAAalice alice", "ssh-rsa AAAAbob bob", "ssh-ed25519 AAAAcarol carol"],
    });
  });

  test("base64 user data is decoded when user-data-encoding says so; block-project-ssh-keys drops the project's keys", async () => {
    const base = await serve(gceServer({ ...instance, "instance/attributes/user-data": Buffer.from(USER_DATA).toString("base64"), "instance/attributes/user-data-encoding": "base64", "instance/attributes/block-project-ssh-keys": "TRUE" }, { count: 0 }));
    const found = await gceSource(base).fetch(never());
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.deepEqual(found?.metadata.publicKeys, ["ssh-ed25519 AAAAalice alice", "ssh-rsa AAAAbob bob"]);
  });

  test("no user-data attribute: metadata only; an answer without Metadata-Flavor is not GCE", async () => {
    const found = await gceSource(await serve(gceServer(instance, { count: 0 }))).fetch(never());
    assert.ok(found && found.userData === undefined && found.metadata.zone === "europe-west1-b");
    const impostor = await serve(routes({ "/computeMetadata/v1/instance/id": "1" }));
    await assert.rejects(gceSource(impostor).fetch(never()), /lacks "Metadata-Flavor: Google"/);
  });
});

// ---- DigitalOcean -------------------------------------------------------------------------------

describe("digitalocean", () => {
  const doc = {
    droplet_id: 2756294,
    hostname: "sample-droplet",
    public_keys: ["ssh-ed25519 AAAAdo do@host"],
    region: "nyc3",
    interfaces: {
      public: [{ ipv4: { ip_address: "104.131.20.105", netmask: "255.255.192.0", gateway: "104.131.0.1" }, ipv6: { ip_address: "2604:A880:0800:0010:0000:0000:017D:2001", cidr: 64 }, mac: "04:01:2a:0f:2a:01", type: "public" }],
      private: [{ ipv4: { ip_address: "10.132.255.113", netmask: "255.255.0.0", gateway: "10.132.0.1" }, mac: "04:01:2a:0f:2a:02", type: "private" }],
    },
    user_data: USER_DATA,
    vendor_data: "#cloud-config\nvendor: yes\n",
  };

  test("reads /metadata/v1.json", async () => {
    const base = await serve(routes({ "/metadata/v1.json": JSON.stringify(doc) }));
    const found = await digitalOceanSource(base).fetch(never());
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.equal(found?.vendorData?.toString(), doc.vendor_data);
    assert.deepEqual(found?.metadata, {
      instanceId: "2756294",
      hostname: "sample-droplet",
      publicKeys: ["ssh-ed25519 AAAAdo do@host"],
      region: "nyc3",
      publicIpv4: "104.131.20.105",
      publicIpv6: "2604:A880:0800:0010:0000:0000:017D:2001",
      privateIpv4: "10.132.255.113",
    });
  });

  test("a droplet without user_data: metadata only", async () => {
    const base = await serve(routes({ "/metadata/v1.json": JSON.stringify({ ...doc, user_data: undefined }) }));
    const found = await digitalOceanSource(base).fetch(never());
    assert.ok(found && found.userData === undefined && found.metadata.instanceId === "2756294");
  });
});

// ---- url:, cloud-config-url=, ds=nocloud;s=http://... ------------------------------------------

describe("user data by URL", () => {
  test("url: GETs the user data; a 404 is absent", async () => {
    const base = await serve(routes({ "/ud.yml": USER_DATA }));
    const { sources, errors } = datasourcesFor([`url:${base}/ud.yml`, `url:${base}/missing`], "");
    assert.deepEqual(errors, []);
    const [ok, missing] = sources;
    const found = await ok!.fetch(never());
    assert.equal(found?.source, `url:${base}/ud.yml`);
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.equal(await missing!.fetch(never()), undefined);
  });

  test("cloud-config-url= on the kernel command line adds the cmdline source", async () => {
    const base = await serve(routes({ "/cc": USER_DATA }));
    const { sources, errors } = datasourcesFor([], `BOOT_IMAGE=/vmlinuz console=ttyS0 cloud-config-url=${base}/cc quiet`);
    assert.deepEqual(errors, []);
    assert.deepEqual(sources.map((s) => s.name), ["cmdline"]);
    const found = await sources[0]!.fetch(never());
    assert.equal(found?.source, `cmdline:${base}/cc`);
    assert.equal(found?.userData?.toString(), USER_DATA);
    // Named as a spec too, it is still one source.
    assert.equal(datasourcesFor(["cmdline"], `cloud-config-url=${base}/cc`).sources.length, 1);
  });

  test("the cmdline spec without cloud-config-url= is absent", async () => {
    const { sources } = datasourcesFor(["cmdline"], "console=ttyS0");
    assert.equal(await sources[0]!.fetch(never()), undefined);
  });

  test("ds=nocloud;s=http://.../ reads <seed>user-data and <seed>meta-data; h= and i= override", async () => {
    const base = await serve(routes({ "/seed/user-data": USER_DATA, "/seed/meta-data": "instance-id: iid-net01\nlocal-hostname: seeded\n" }));
    const { sources, errors } = datasourcesFor([], `console=ttyS0 ds=nocloud;s=${base}/seed/`);
    assert.deepEqual(errors, []);
    assert.deepEqual(sources.map((s) => s.name), [`nocloud:${base}/seed/`]);
    const found = await sources[0]!.fetch(never());
    assert.equal(found?.source, `nocloud:${base}/seed/user-data`);
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.deepEqual(found?.metadata, { instanceId: "iid-net01", hostname: "seeded" });

    const net = datasourcesFor([], `ds=nocloud-net;seedfrom=${base}/seed/;h=cmdline-host;i=iid-cmdline`).sources[0]!;
    assert.deepEqual((await net.fetch(never()))?.metadata, { instanceId: "iid-cmdline", hostname: "cmdline-host" });

    const empty = datasourcesFor([], `ds=nocloud;s=${base}/nothing/`).sources[0]!;
    assert.equal(await empty.fetch(never()), undefined);
  });
});

// ---- HTTP bounds --------------------------------------------------------------------------------

describe("http bounds", () => {
  test("a declared body over 16 MiB is refused without reading it", async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200, { "content-length": String(MAX_BYTES + 1) });
      res.write("x"); // and never the rest
    });
    await assert.rejects(httpRequest(`${base}/big`, { signal: never() }), /refused a response of 16777217 bytes/);
  });

  test("a streamed body over the limit is cut off", async () => {
    const base = await serve((_req, res) => {
      res.writeHead(200); // chunked: no length declared
      res.write("a".repeat(600));
      res.end("b".repeat(600));
    });
    await assert.rejects(httpRequest(`${base}/stream`, { signal: never(), maxBytes: 1000 }), /refused a response over 1000 bytes/);
  });

  test("every request has its own timeout", async () => {
    const { base } = await hangingServer();
    const t0 = Date.now();
    await assert.rejects(httpRequest(`${base}/slow`, { signal: never(), timeoutMs: 150 }), /no answer within 150 ms/);
    assert.ok(Date.now() - t0 < 1500);
  });

  test("nothing listening is NoAnswer, retried only within its window", async () => {
    const closed = await serve(() => {});
    const port = new URL(closed).port;
    const s = servers.pop()!;
    await new Promise((r) => s.close(r));
    await assert.rejects(whenAnswering(() => httpRequest(`http://127.0.0.1:${port}/`, { signal: never() }), never(), 0), (e: unknown) => e instanceof NoAnswer && /connection refused/.test(e.message));
  });
});

// ---- fetchFirst ---------------------------------------------------------------------------------

describe("fetchFirst", () => {
  test("a hung source does not delay an answer, and is aborted once another answers", async () => {
    const hung = await hangingServer();
    const ok = await serve(routes({ "/ud": USER_DATA }));
    const t0 = Date.now();
    const { found, report } = await fetchFirst([ec2Source(hung.base), urlSource(`${ok}/ud`)], 10_000);
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
    assert.equal(found?.source, `url:${ok}/ud`);
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.equal(hung.seen(), 1);
    await within(hung.closed, 2000, "the hung request was not aborted");
    assert.match(report[0]!, new RegExp(`^ec2:${hung.base}: cancelled \\(url:${ok}/ud answered first\\)$`));
    assert.match(report[1]!, new RegExp(`^url:${ok}/ud: answered in \\d+ ms`));
  });

  test("when every source hangs it returns within the budget, each one timed out", async () => {
    const a = await hangingServer();
    const b = await hangingServer();
    const deaf: Datasource = { name: "deaf", fetch: () => new Promise(() => {}) }; // ignores its signal
    const t0 = Date.now();
    const { found, report } = await fetchFirst([openstackSource(a.base), gceSource(b.base), deaf], 300);
    const took = Date.now() - t0;
    assert.ok(took >= 290 && took < 600, `took ${took} ms`);
    assert.equal(found, undefined);
    assert.equal(report.length, 3);
    for (const line of report) assert.match(line, /: timed out after 300 ms \(abandoned\)$/);
    await within(Promise.all([a.closed, b.closed]), 2000, "hung requests were not aborted");
  });

  test("a failing source does not stop the others", async () => {
    const failing = await serve((_req, res) => void res.writeHead(500).end("boom"));
    const slow = await serve((req, res) => setTimeout(() => routes({ "/ud": USER_DATA })(req, res), 100));
    const thrower: Datasource = { name: "thrower", fetch: () => { throw new Error("synchronous failure"); } };
    const { found, report } = await fetchFirst([urlSource(`${failing}/ud`), thrower, urlSource(`${slow}/ud`)], 5000);
    assert.equal(found?.userData?.toString(), USER_DATA);
    assert.match(report[0]!, /: failed after \d+ ms: GET .*\/ud: HTTP 500$/);
    assert.match(report[1]!, /^thrower: failed after \d+ ms: synchronous failure$/);
    assert.match(report[2]!, /answered/);
  });

  test("all absent or failed: no answer, as soon as they are all done", async () => {
    const empty = await serve(routes({}));
    const t0 = Date.now();
    const { found, report } = await fetchFirst([urlSource(`${empty}/x`), openstackSource(empty)], 5000);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal(found, undefined);
    assert.deepEqual(report.map((l) => l.replace(/\d+ ms/, "N ms")), [`url:${empty}/x: absent (N ms)`, `openstack:${empty}: absent (N ms)`]);
    assert.deepEqual(await fetchFirst([], 1000), { report: [] });
  });

  test("a source with metadata but no user data still wins, and the report says so", async () => {
    const base = await serve(routes({ "/openstack/latest/meta_data.json": JSON.stringify({ uuid: "u-1" }) }));
    const { found, report } = await fetchFirst([openstackSource(base)], 5000);
    assert.equal(found?.metadata.instanceId, "u-1");
    assert.match(report[0]!, /answered in \d+ ms \(.*, no user data\)$/);
  });
});
