/**
 * Byte helpers shared by the modules that read whole streams and files, and parts of files.
 *
 * @module
 */

/** Joins chunks into one buffer (the chunk itself when there is only one). */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const all = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

/**
 * Up to `length` bytes of an open file from `position` (fewer where the
 * file ends sooner).
 */
export function readAt(file: Deno.FsFile, position: number, length: number): Uint8Array {
  file.seekSync(position, Deno.SeekMode.Start);
  const buffer = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = file.readSync(buffer.subarray(got));
    if (n === null || n === 0) break;
    got += n;
  }
  return buffer.subarray(0, got);
}
