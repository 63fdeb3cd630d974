/**
 * Standard output, made on first use.
 *
 * `process.stdout` is built when first read: a SyncWriteStream for a file (~0.6 ms here), a net
 * socket for a pipe (~3 ms), a tty stream for a terminal (which loads node:tty and node:net). A command that writes to a file never
 * needs it, so nothing touches it until something is written there.
 *
 * A closed pipe (`p7m decrypt … | head`) or a full disk fails the write that met it, which the
 * command reports; without a listener the stream's 'error' event would also crash the process with
 * a stack trace. The listener goes on with the first use (both bundles may call this: the check
 * keeps it to one).
 */
export function stdout(): NodeJS.WriteStream {
  const out = process.stdout;
  if (out.listenerCount('error') === 0) out.on('error', () => undefined);
  return out;
}
