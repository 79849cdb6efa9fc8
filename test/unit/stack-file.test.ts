// A stack's compose file: variables, positioned errors that refuse the whole file, and the Swarm
// specs it becomes (names, labels, the encrypted overlay by default).
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseStack, StackFileError } from "../../os/stack/load.ts";
import { nanoseconds, NAMESPACE, SPEC_HASH, stackPlan } from "../../os/stack/specs.ts";

const errorOf = (text: string, vars?: Record<string, string>): string => {
  try {
    parseStack(text, "s.yml", vars);
  } catch (e) {
    assert.ok(e instanceof StackFileError);
    return e.message;
  }
  return assert.fail("the file was accepted");
};

test("variables: defaults, required ones, $$, and a number from a variable", () => {
  const f = parseStack("services:\n  a:\n    image: ${IMG:-busybox}\n    command: echo $$HOME ${WHO}\n    deploy:\n      replicas: ${N}\n", "s.yml", { WHO: "me", N: "4" });
  assert.equal(f.services.a!.image, "busybox");
  assert.equal(f.services.a!.command, "echo $HOME me");
  assert.equal(f.services.a!.deploy!.replicas, 4);
  assert.match(errorOf("services:\n  a:\n    image: x\n    user: ${WHO}\n"), /^s\.yml:4:11: variable WHO is not set \(set it with --var/);
  assert.match(errorOf("services:\n  a:\n    image: ${IMG:?pick an image}\n"), /^s\.yml:3:12: variable IMG is required: pick an image/);
});

test("errors name the line: a bad value, an unknown key, an undeclared network or volume", () => {
  assert.match(errorOf("services:\n  a:\n    image: x\n    deploy:\n      replicas: many\n"), /^s\.yml:5:17: services\.a\.deploy\.replicas: /);
  assert.match(errorOf("services:\n  a:\n    image: x\n    deploy:\n      replica: 2\n"), /^s\.yml:5:7: services\.a\.deploy\.replica: not a key of a Compose v3 stack \(a typo\?\)/);
  assert.match(errorOf("services:\n  a:\n    image: x\n    networks: [front]\n"), /^s\.yml:4:15: network front is not declared \(declare it under the top-level networks:/);
  assert.match(errorOf("services:\n  a:\n    image: x\n    volumes:\n      - data:/d\n"), /^s\.yml:5:9: volume data is not declared/);
  assert.match(errorOf("version: '3'\n"), /^s\.yml:1:1: a stack file needs a services: map/);
  assert.match(errorOf("services:\n  a: [\n"), /^s\.yml:3:1: .*\(fix the YAML syntax\)$/);
});

test("the plan: STACK_ names, Docker's stack label, an encrypted overlay unless the file says not", () => {
  const plan = stackPlan("shop", parseStack(`
services:
  web:
    image: web:1
    entrypoint: /bin/web
    command: ["--port", "80"]
    environment: { A: 1, B: null }
    ports: ["8080:80", { target: 53, published: 53, protocol: udp, mode: host }]
    volumes: ["data:/var/data:ro", "/etc/x:/x"]
    healthcheck: { test: "wget -q localhost", interval: 1m30s, retries: 2 }
    networks: { back: { aliases: [shopfront] } }
  db:
    image: db:1
    deploy: { mode: global }
networks:
  back: {}
  default: { driver_opts: { encrypted: "false" } }
volumes:
  data: { driver: local, driver_opts: { type: nfs, o: "addr=10.0.0.1", device: ":/export" } }
`, "s.yml"));
  assert.deepEqual(plan.networks.map((n) => [n.name, n.spec.Options]), [["shop_back", { encrypted: "" }], ["shop_default", {}]]);
  assert.equal((plan.networks[0]!.spec.Labels as Record<string, string>)[NAMESPACE], "shop");
  const web = plan.services.find((s) => s.name === "shop_web")!.spec as any;
  assert.equal(web.Labels[NAMESPACE], "shop");
  assert.match(web.Labels[SPEC_HASH], /^[0-9a-f]{16}$/);
  assert.deepEqual(web.TaskTemplate.ContainerSpec.Command, ["/bin/web"]);
  assert.deepEqual(web.TaskTemplate.ContainerSpec.Args, ["--port", "80"]);
  assert.deepEqual(web.TaskTemplate.ContainerSpec.Env, ["A=1", "B"]);
  assert.deepEqual(web.TaskTemplate.ContainerSpec.Healthcheck, { Test: ["CMD-SHELL", "wget -q localhost"], Interval: 90e9, Retries: 2 });
  assert.deepEqual(web.TaskTemplate.Networks, [{ Target: "shop_back", Aliases: ["web", "shopfront"] }]);
  assert.deepEqual(web.EndpointSpec.Ports, [{ TargetPort: 80, PublishedPort: 8080, Protocol: "tcp", PublishMode: "ingress" }, { TargetPort: 53, PublishedPort: 53, Protocol: "udp", PublishMode: "host" }]);
  const [data, bind] = web.TaskTemplate.ContainerSpec.Mounts;
  assert.deepEqual(data, { Type: "volume", Source: "shop_data", Target: "/var/data", ReadOnly: true, VolumeOptions: { Labels: { [NAMESPACE]: "shop" }, DriverConfig: { Name: "local", Options: { type: "nfs", o: "addr=10.0.0.1", device: ":/export" } } } });
  assert.equal(bind.Type, "bind");
  const db = plan.services.find((s) => s.name === "shop_db")!.spec as any;
  assert.deepEqual(db.Mode, { Global: {} });
  assert.deepEqual(db.TaskTemplate.Networks, [{ Target: "shop_default", Aliases: ["db"] }]);
  // The same file, the same hash: a second deploy leaves the service alone.
  assert.equal(stackPlan("shop", parseStack("services:\n  db:\n    image: db:1\n", "s.yml")).services[0]!.spec.Labels[SPEC_HASH], stackPlan("shop", parseStack("services:\n  db: { image: 'db:1' }\n", "t.yml")).services[0]!.spec.Labels[SPEC_HASH]);
  assert.equal(nanoseconds("1h2m3.5s"), 3723.5e9);
});

test("rancher.stacks in cloud-config: one source per stack, errors at the stack's line", async () => {
  const { validateText } = await import("../../cloud-config/validate.ts");
  const ok = validateText("rancher:\n  stacks:\n    shop: { file: /var/lib/rancher/conf/stacks/shop.yml, vars: { N: 2 } }\n    hi: { catalog: greeter }\n    inline: { compose: { services: { a: { image: x } } } }\n", "c.yml");
  assert.deepEqual(ok.diagnostics, []);
  const both = validateText("rancher:\n  stacks:\n    shop:\n      file: /s.yml\n      catalog: greeter\n", "c.yml");
  assert.match(both.diagnostics.map((d) => `${d.line}: ${d.message} (${d.hint})`).join("\n"), /^(4|5): .*needs exactly one of file:, catalog: or compose:/m);
  const rel = validateText("rancher:\n  stacks:\n    shop: { file: stacks/shop.yml }\n", "c.yml");
  assert.match(rel.diagnostics[0]!.message, /absolute path/);
});
