// OpenStack metadata service: /openstack/latest/meta_data.json (its presence says the service is
// here) and /openstack/latest/user_data (a 404 means no user data).
import { openstackMetadata } from "./configdrive.ts";
import { endpoint, getIfPresent, parseJson, whenAnswering } from "./http.ts";
import type { Datasource, Found } from "./types.ts";

export const OPENSTACK_DEFAULT_BASE = "http://169.254.169.254";

export function openstackSource(base = OPENSTACK_DEFAULT_BASE): Datasource {
  return {
    name: base === OPENSTACK_DEFAULT_BASE ? "openstack" : `openstack:${base}`,
    async fetch(signal) {
      const metaUrl = endpoint(base, "openstack/latest/meta_data.json");
      const userUrl = endpoint(base, "openstack/latest/user_data");
      const meta = await whenAnswering(() => getIfPresent(metaUrl, { signal }), signal);
      if (!meta) return undefined;
      const found: Found = { source: `openstack:${userUrl}`, metadata: openstackMetadata(parseJson(meta.body, metaUrl)) };
      const user = await getIfPresent(userUrl, { signal });
      if (user) found.userData = user.body;
      return found;
    },
  };
}
