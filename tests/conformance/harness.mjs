// SPDX-License-Identifier: Apache-2.0
// Shared helpers for the conformance tests: start `parley serve` on loopback, make speech with
// `parley say` (flite, at test time), connect Google's official @google/genai SDK to the server,
// and collect what a user would notice (audio, transcripts, turn events) per turn.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GoogleGenAI, Modality } from '@google/genai';
import { wavData } from './wav.mjs';

export const PARLEY_BIN = process.env.PARLEY_BIN ?? 'build/parley';
export const MODEL = 'gemini-2.5-flash-native-audio-preview-09-2025';
export const INPUT_RATE = 16000;
export const OUTPUT_RATE = 24000;

// Starts `parley serve --port 0 ...args` and resolves once it prints the address it listens on.
export function startServer(args = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(PARLEY_BIN, ['serve', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const logs = [];
    child.stderr.on('data', (d) => logs.push(d.toString()));
    child.stdout.on('data', (d) => {
      stdout += d.toString();
      const m = stdout.match(/listening on ws:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        resolve({
          port: Number(m[1]),
          logs,
          stop: () => new Promise((done) => {
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`parley serve exited with ${code}: ${logs.join('')}`)));
    setTimeout(() => reject(new Error('parley serve did not start within 20 s')), 20000);
  });
}

const speechDir = mkdtempSync(join(tmpdir(), 'parley-conformance-'));
let speechCount = 0;

// PCM16 mono at 16 kHz of `text` spoken by flite (through `parley say`), as a Buffer.
export function speak(text, voice = 'slt') {
  const file = join(speechDir, `speech-${speechCount++}.wav`);
  execFileSync(PARLEY_BIN, ['say', '--voice', voice, '--rate', String(INPUT_RATE), '--out', file, text]);
  return wavData(readFileSync(file));
}

export function silence(ms) {
  return Buffer.alloc(Math.round((INPUT_RATE * ms) / 1000) * 2);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Sends PCM16 16 kHz audio as realtimeInput in 20 ms messages; paced in real time when `paced`.
export async function sendAudio(session, pcm, { paced = false, chunkMs = 20 } = {}) {
  const bytes = (INPUT_RATE * chunkMs * 2) / 1000;
  const start = Date.now();
  for (let i = 0, n = 0; i < pcm.length; i += bytes, n++) {
    session.sendRealtimeInput({
      audio: { data: pcm.subarray(i, i + bytes).toString('base64'), mimeType: 'audio/pcm;rate=16000' },
    });
    if (paced) {
      const due = start + (n + 1) * chunkMs;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
    } else if (n % 25 === 24) {
      await sleep(0);  // let the socket drain
    }
  }
}

// A connected SDK session that records every server message with its arrival time.
export async function connect(port, config = {}, { apiKey = 'conformance-key', apiVersion } = {}) {
  const ai = new GoogleGenAI({ apiKey, apiVersion, httpOptions: { baseUrl: `http://127.0.0.1:${port}` } });
  const events = [];
  const waiters = [];
  let closed = null;
  let closedBeforeOpen;
  const closedEarly = new Promise((resolve) => { closedBeforeOpen = resolve; });
  const notify = () => {
    for (const w of [...waiters]) {
      if (w.check()) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  // The SDK's connect() never settles when the server closes before setupComplete
  // (LIVE_PROTOCOL.md §10): race it against the close, and hand back a null session then.
  const session = await Promise.race([closedEarly.then(() => null), ai.live.connect({
    model: MODEL,
    config: { responseModalities: [Modality.AUDIO], ...config },
    callbacks: {
      onmessage: (m) => { events.push({ at: Date.now(), m }); notify(); },
      onerror: (e) => { events.push({ at: Date.now(), error: e }); notify(); },
      onclose: (e) => {
        closed = { code: e.code, reason: e.reason, at: Date.now() };
        notify();
        closedBeforeOpen();
      },
    },
  })]);
  const waitFor = (check, what, timeoutMs = 30000) => new Promise((resolve, reject) => {
    if (check()) return resolve();
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    waiters.push({ check, resolve: () => { clearTimeout(timer); resolve(); } });
  });
  return {
    session,
    events,
    get closed() { return closed; },
    waitFor,
    // Waits for the next turnComplete after event index `from`; returns the turn's summary.
    async nextTurn(from = 0, timeoutMs = 30000) {
      await waitFor(() => events.slice(from).some((e) => e.m?.serverContent?.turnComplete), 'turnComplete', timeoutMs);
      const end = events.findIndex((e, i) => i >= from && e.m?.serverContent?.turnComplete);
      return summarize(events.slice(from, end + 1));
    },
    waitClosed: (timeoutMs = 30000) => waitFor(() => closed !== null, 'close', timeoutMs).then(() => closed),
  };
}

// What a user would notice of a stretch of server messages.
export function summarize(events) {
  const out = {
    audioBytes: 0, audioChunks: 0, mimeTypes: new Set(), text: '', inputText: '', outputText: '',
    interrupted: false, generationComplete: false, turnComplete: false, toolCalls: [], order: [],
    usage: null,
  };
  for (const { m } of events) {
    if (!m) continue;
    const sc = m.serverContent;
    for (const part of sc?.modelTurn?.parts ?? []) {
      if (part.inlineData) {
        out.audioBytes += Buffer.from(part.inlineData.data, 'base64').length;
        out.audioChunks++;
        out.mimeTypes.add(part.inlineData.mimeType);
        out.order.push('audio');
      }
      if (part.text && !part.thought) { out.text += part.text; out.order.push('text'); }
    }
    if (sc?.inputTranscription?.text) out.inputText += sc.inputTranscription.text;
    if (sc?.outputTranscription?.text) out.outputText += sc.outputTranscription.text;
    if (sc?.generationComplete) { out.generationComplete = true; out.order.push('generationComplete'); }
    if (sc?.interrupted) { out.interrupted = true; out.order.push('interrupted'); }
    if (sc?.turnComplete) { out.turnComplete = true; out.order.push('turnComplete'); }
    if (m.toolCall) { out.toolCalls.push(...m.toolCall.functionCalls); out.order.push('toolCall'); }
    if (m.usageMetadata) out.usage = m.usageMetadata;
  }
  out.audioSeconds = out.audioBytes / 2 / OUTPUT_RATE;
  return out;
}

export const normalize = (s) => s.toLowerCase().replace(/[^a-z0-9 ]+/g, ' ').replace(/\s+/g, ' ').trim();
