// The bounds every datasource works within, so one slow or hostile source cannot hold up the boot
// or exhaust memory.

/** The largest user data, metadata document or HTTP response read, in bytes (16 MiB). */
export const MAX_BYTES = 16 * 1024 * 1024;

/** How long one HTTP request (connect, headers and body) may take. */
export const REQUEST_TIMEOUT_MS = 5000;

/** How long the EC2 token request may take before IMDSv1 is tried instead. */
export const TOKEN_TIMEOUT_MS = 2000;

/** How long a source keeps retrying while nothing listens (the network may still be coming up). */
export const CONNECT_RETRY_MS = 3000;

/** How long a disk source waits for its disk to appear (freshly loaded drivers probe late). */
export const DEVICE_WAIT_MS = 3000;
