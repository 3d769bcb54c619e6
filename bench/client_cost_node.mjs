// SPDX-License-Identifier: Apache-2.0
// client_cost_node: the Node side of the client cost benchmark (scripts/run_client_benchmark.sh;
// BENCHMARKS.md "Client cost (issue #4 (d))"). Google's official @google/genai SDK (the copy
// installed for tests/conformance) connects to a Live API URL on loopback, streams a 16 kHz mono
// PCM16 WAV up as realtimeInput in CHUNK_MS messages paced in real time, decodes every audio
// chunk that comes down and writes it to OUT (raw PCM16 24 kHz, as a player would consume it),
// and exits once the turn is complete. Usage:
//   node client_cost_node.mjs PORT INPUT.wav OUT.pcm [CHUNK_MS=20]
import { openSync, readFileSync, writeSync, closeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { wavData } from '../tests/conformance/wav.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const sdkEntry = join(resolve(here, '..'), 'tests/conformance/node_modules/@google/genai/dist/node/index.mjs');
const { GoogleGenAI, Modality } = await import(pathToFileURL(sdkEntry).href);

const [port, inputPath, outPath, chunkArg] = process.argv.slice(2);
if (!port || !inputPath || !outPath) {
  console.error('usage: node client_cost_node.mjs PORT INPUT.wav OUT.pcm [CHUNK_MS]');
  process.exit(2);
}
const chunkMs = Number(chunkArg ?? 20);
const INPUT_RATE = 16000;

const pcm = wavData(readFileSync(inputPath));
const out = openSync(outPath, 'w');
let audioBytes = 0;
let turnComplete;
const done = new Promise((r) => { turnComplete = r; });

const ai = new GoogleGenAI({ apiKey: 'client-cost-bench', httpOptions: { baseUrl: `http://127.0.0.1:${port}` } });
const session = await ai.live.connect({
  model: 'gemini-2.5-flash-native-audio-preview-12-2025',
  config: { responseModalities: [Modality.AUDIO] },
  callbacks: {
    onmessage: (m) => {
      for (const part of m.serverContent?.modelTurn?.parts ?? []) {
        if (part.inlineData?.data) {
          const bytes = Buffer.from(part.inlineData.data, 'base64');
          writeSync(out, bytes);
          audioBytes += bytes.length;
        }
      }
      if (m.serverContent?.turnComplete) turnComplete();
    },
    onerror: (e) => { console.error('client_cost_node: error', e.message ?? e); process.exit(1); },
    onclose: () => {},
  },
});

// Up: the WAV in real time, CHUNK_MS per message.
const bytesPerChunk = (INPUT_RATE * chunkMs * 2) / 1000;
const start = Date.now();
let messages = 0;
for (let i = 0; i < pcm.length; i += bytesPerChunk, messages++) {
  session.sendRealtimeInput({
    audio: { data: pcm.subarray(i, i + bytesPerChunk).toString('base64'), mimeType: 'audio/pcm;rate=16000' },
  });
  const wait = start + (messages + 1) * chunkMs - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
await done;
session.close();
closeSync(out);
console.log(`client_cost_node: sent ${(pcm.length / 2 / INPUT_RATE).toFixed(2)} s in ${messages} messages; ` +
  `received ${(audioBytes / 2 / 24000).toFixed(2)} s of audio; ${((Date.now() - start) / 1000).toFixed(2)} s in all`);
