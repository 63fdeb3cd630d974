/**
 * The few file operations of the content path, as promises over node:fs's callback API.
 *
 * fs/promises would do the same, but loading it costs a command ~2.5 ms here (it brings the
 * readline, watcher and directory modules along), and its FileHandle adds a close-on-collection
 * safety net the callers below do not need: each closes its descriptor on every path.
 */
import * as fs from 'node:fs';

const done = <T>(resolve: (v: T) => void, reject: (e: unknown) => void) =>
  (e: NodeJS.ErrnoException | null, v: T): void => { if (e) reject(e); else resolve(v); };

export function open(file: string, flags: string, mode?: number): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, flags, mode, done(resolve, reject)));
}

/** Reads at the current position (`position` null) or at `position`; resolves with the bytes read. */
export function read(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): Promise<number> {
  return new Promise((resolve, reject) => fs.read(fd, buffer, offset, length, position, done(resolve, reject)));
}

/** Writes all of `buffer` (libuv repeats a short write until it is done or fails). */
export function write(fd: number, buffer: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => fs.write(fd, buffer, (e) => (e ? reject(e) : resolve())));
}

/** Writes all of `buffers` in order, as one writev where the system allows. */
export function writev(fd: number, buffers: readonly Uint8Array[]): Promise<void> {
  return new Promise((resolve, reject) => fs.writev(fd, buffers as NodeJS.ArrayBufferView[], (e) => (e ? reject(e) : resolve())));
}

export function close(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (e) => (e ? reject(e) : resolve())));
}

export function rename(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => fs.rename(from, to, (e) => (e ? reject(e) : resolve())));
}

export function unlink(file: string): Promise<void> {
  return new Promise((resolve, reject) => fs.unlink(file, (e) => (e ? reject(e) : resolve())));
}

export function readFile(file: string): Promise<Buffer> {
  return new Promise((resolve, reject) => fs.readFile(file, done(resolve, reject)));
}
