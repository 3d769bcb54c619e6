// SPDX-License-Identifier: Apache-2.0
// The PCM payload of a WAV file, for the conformance harness and the client cost benchmark.

// The PCM payload of a WAV file's "data" chunk.
export function wavData(wav) {
  let offset = 12;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    if (id === 'data') return wav.subarray(offset + 8, offset + 8 + size);
    offset += 8 + size + (size % 2);
  }
  throw new Error('no data chunk in WAV');
}
