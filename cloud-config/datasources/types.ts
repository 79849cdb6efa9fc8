// What a datasource is and what it yields: the user's raw data plus what the instance knows about
// itself (its id, name, keys and addresses).

/** Facts about the instance, as far as the datasource tells them; absent fields were not given. */
export interface Metadata {
  instanceId?: string;
  hostname?: string;
  publicKeys?: string[];
  privateIpv4?: string;
  publicIpv4?: string;
  privateIpv6?: string;
  publicIpv6?: string;
  region?: string;
  zone?: string;
}

export interface Found {
  /** Where the user data came from, e.g. "nocloud:/dev/vdb:/user-data"; the FILE in error messages. */
  source: string;
  /** Raw bytes, undecoded (may be gzip or multipart); absent when the datasource holds none. */
  userData?: Buffer;
  metadata: Metadata;
  vendorData?: Buffer;
  /** NoCloud's network-config file, as given. */
  networkConfig?: Buffer;
}

export interface Datasource {
  /** The spec it was made from, e.g. "ec2" or "file:/var/lib/rancher/conf/user_config.yml". */
  name: string;
  /** Resolves to undefined when the source is not present here; rejects when it is but fails. */
  fetch(signal: AbortSignal): Promise<Found | undefined>;
}
