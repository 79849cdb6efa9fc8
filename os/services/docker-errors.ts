// Docker's API errors, said the way a user can act on them.

interface DockerError { statusCode?: number; json?: { message?: string } | null; message?: string }

export function dockerMessage(e: unknown): string {
  const d = e as DockerError;
  return (d.json?.message ?? d.message ?? String(e)).trim();
}

export const isNotFound = (e: unknown) => (e as DockerError).statusCode === 404;

/** A start failure, with the cause named when it is one users meet often. */
export function startFailure(e: unknown): string {
  const m = dockerMessage(e);
  const port = /(?:Bind for|listen \w+) [^ ]*?:(\d+)[: ].*(?:already allocated|address already in use)/.exec(m)?.[1];
  if (port) return `port ${port} is in use on the host (another service or process holds it; change \`ports\` or stop the other one)`;
  return m;
}
