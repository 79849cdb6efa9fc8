// A compose-style service definition (rancher.services.<name>), as RancherOS wrote them.
export interface ServiceDef {
  image: string;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: string[] | Record<string, string>;
  volumes?: string[];
  net?: string;
  pid?: string;
  ipc?: string;
  uts?: string;
  privileged?: boolean;
  restart?: string;
  labels?: Record<string, string>;
  tty?: boolean;
  stdin_open?: boolean;
}
