// What a failed init or join means for the operator, said after Docker's own words (which name
// gRPC codes, not settings).
const HINTS: [RegExp, string][] = [
  [/valid join token is necessary|invalid join token|token.*(malformed|invalid)/i, "the join token is wrong: use the swarm's current token (a manager's join token for role manager) in rancher.agent.swarm.token or token_file"],
  [/fingerprint|x509|certificate/i, "the token belongs to another swarm (its CA does not match the managers')"],
  [/Timeout was reached|DeadlineExceeded|Unavailable|connection refused|no route to host|network is unreachable|i\/o timeout/i, "no manager in rancher.agent.swarm.join answered (down, unreachable, or a wrong address)"],
  [/already part of a swarm/i, "this node is in a swarm already (ros agent leave first)"],
  [/must specify a listening address|advertise address|could not find the system's IP address/i, "set rancher.agent.swarm.advertise_addr (this host has several addresses or none Docker can choose)"],
];

export function withHint(message: string): string {
  const hint = HINTS.find(([re]) => re.test(message))?.[1];
  return hint ? `${message} (${hint})` : message;
}
