// SPDX-License-Identifier: Apache-2.0
// Conformance: Google's official @google/genai SDK (pinned in package-lock.json) against
// `parley serve` on loopback, with speech made by flite at test time. Each test checks what a
// user of the SDK would notice: audio they can play, transcripts, turn boundaries, tool calls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Modality, StartSensitivity, EndSensitivity } from '@google/genai';
import {
  startServer, connect, speak, silence, sendAudio, sleep, normalize, summarize,
} from './harness.mjs';

let server;
before(async () => { server = await startServer(); });
after(async () => { await server?.stop(); });

const transcribed = { inputAudioTranscription: {}, outputAudioTranscription: {} };

test('a spoken question is answered with audio and both transcripts', async () => {
  const c = await connect(server.port, transcribed);
  await sendAudio(c.session, Buffer.concat([silence(300), speak('what is twelve times seven'), silence(1500)]));
  const turn = await c.nextTurn();
  assert.ok(turn.audioSeconds > 1, `expected over a second of reply audio, got ${turn.audioSeconds} s`);
  assert.deepEqual([...turn.mimeTypes], ['audio/pcm;rate=24000']);
  assert.match(normalize(turn.inputText), /twelve times seven/);
  assert.match(normalize(turn.outputText), /eighty four/);
  assert.ok(turn.generationComplete, 'generationComplete before turnComplete');
  assert.deepEqual(turn.order.slice(-2), ['generationComplete', 'turnComplete']);
  assert.ok(turn.usage?.totalTokenCount > 0, 'usageMetadata with turnComplete');
  c.session.close();
});

test('talking over the story while it still plays interrupts it; the next question is answered', async () => {
  const c = await connect(server.port, transcribed);
  c.session.sendClientContent({ turns: 'tell me a story', turnComplete: true });
  // Generation of the whole story finishes long before its 20+ s of audio would have played.
  await c.waitFor(() => c.events.some((e) => e.m?.serverContent?.generationComplete), 'generationComplete');
  const generatedAt = c.events.length;
  assert.ok(!c.events.some((e) => e.m?.serverContent?.turnComplete), 'turnComplete waits for playback');
  await sleep(1000);
  const from = c.events.length;
  await sendAudio(c.session, Buffer.concat([speak('what did you say before'), silence(1500)]), { paced: true });
  const story = summarize(c.events.slice(0, c.events.findIndex((e) => e.m?.serverContent?.turnComplete) + 1));
  assert.ok(story.interrupted, 'the story was interrupted');
  assert.deepEqual(story.order.filter((o) => o !== 'audio').slice(-3), ['generationComplete', 'interrupted', 'turnComplete']);
  const afterInterrupt = story.order.slice(story.order.indexOf('interrupted'));
  assert.ok(!afterInterrupt.includes('audio'), 'no audio after interrupted');
  assert.ok(story.audioSeconds > 20, `the story is long (${story.audioSeconds} s)`);
  assert.ok(from >= generatedAt);
  // The question asked over the story is answered next, from a history that holds only what
  // was played: the story's ending was never heard.
  const interruptAt = c.events.findIndex((e) => e.m?.serverContent?.interrupted);
  const next = await c.nextTurn(interruptAt + 2);
  assert.match(normalize(next.outputText), /once upon a time/);
  assert.doesNotMatch(normalize(next.outputText), /lamp still shines/);
  assert.ok(next.audioSeconds > 0.5);
  c.session.close();
});

test('a tool call is answered through toolResponse and then spoken', async () => {
  const c = await connect(server.port, {
    ...transcribed,
    tools: [{ functionDeclarations: [{
      name: 'get_weather', description: 'weather for a city',
      parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } } },
    }] }],
  });
  // Typed: pocketsphinx often hears a spoken "get" as "yet", and the built-in brain calls a
  // function only when every word of its name was said.
  c.session.sendClientContent({ turns: 'get the weather in paris', turnComplete: true });
  await c.waitFor(() => c.events.some((e) => e.m?.toolCall), 'toolCall');
  const call = c.events.find((e) => e.m?.toolCall).m.toolCall.functionCalls[0];
  assert.equal(call.name, 'get_weather');
  assert.ok(call.id, 'the call has an id');
  assert.equal(call.args.city, 'paris');
  c.session.sendToolResponse({ functionResponses: [{ id: call.id, name: call.name, response: { output: 'sunny and warm' } }] });
  const turn = await c.nextTurn();
  assert.ok(turn.audioSeconds > 0.5);
  assert.match(normalize(turn.outputText), /sunny and warm/);
  c.session.close();
});

test('a typed turn is answered in audio', async () => {
  const c = await connect(server.port, { outputAudioTranscription: {} });
  c.session.sendClientContent({ turns: 'say the quick brown fox', turnComplete: true });
  const turn = await c.nextTurn();
  assert.ok(turn.audioSeconds > 0.5);
  assert.match(normalize(turn.outputText), /the quick brown fox/);
  c.session.close();
});

test('TEXT modality answers in text parts and sends no audio', async () => {
  const c = await connect(server.port, { responseModalities: [Modality.TEXT] });
  c.session.sendClientContent({ turns: 'what is six plus seven', turnComplete: true });
  const turn = await c.nextTurn();
  assert.equal(turn.audioChunks, 0);
  assert.match(normalize(turn.text), /thirteen/);
  c.session.close();
});

test('manual activity detection: audio between activityStart and activityEnd is one turn', async () => {
  const c = await connect(server.port, {
    ...transcribed,
    realtimeInputConfig: { automaticActivityDetection: { disabled: true } },
  });
  // Speech with long pauses: without the client's markers the turn would end in the pause.
  c.session.sendRealtimeInput({ activityStart: {} });
  await sendAudio(c.session, Buffer.concat([speak('say hello'), silence(2000), speak('world')]));
  await sleep(300);
  assert.ok(!c.events.some((e) => e.m?.serverContent?.modelTurn), 'no reply before activityEnd');
  c.session.sendRealtimeInput({ activityEnd: {} });
  const turn = await c.nextTurn();
  assert.match(normalize(turn.inputText), /hello world/);
  assert.match(normalize(turn.outputText), /hello world/);
  c.session.close();
});

// The first resumable handle at or after events[from], waiting for it.
async function handleFrom(c, from) {
  const find = () => c.events.slice(from).find((e) => e.m?.sessionResumptionUpdate?.resumable)?.m.sessionResumptionUpdate.newHandle;
  await c.waitFor(find, 'a resumable handle');
  return find();
}

// Says 'say purple elephants' and waits for the reply; the handles from before and after it.
async function purpleElephants(c) {
  const before = await handleFrom(c, 0);
  c.session.sendClientContent({ turns: 'say purple elephants', turnComplete: true });
  await c.nextTurn();
  const done = c.events.findIndex((e) => e.m?.serverContent?.turnComplete);
  return { before, after: await handleFrom(c, done + 1) };
}

test('a dropped connection resumes with its handle and keeps the history', async () => {
  const first = await connect(server.port, { ...transcribed, sessionResumption: {} });
  const { after } = await purpleElephants(first);
  first.session.conn.ws.terminate();  // the network drops: no close frame
  const second = await connect(server.port, { ...transcribed, sessionResumption: { handle: after } });
  second.session.sendClientContent({ turns: 'what did I say before', turnComplete: true });
  const turn = await second.nextTurn();
  assert.match(normalize(turn.outputText), /purple elephants/);
  second.session.close();
});

test('resuming with the handle from before a turnComplete that was lost answers that reply again', async () => {
  const first = await connect(server.port, { ...transcribed, sessionResumption: {} });
  const { before } = await purpleElephants(first);
  first.session.conn.ws.terminate();
  const second = await connect(server.port, { ...transcribed, sessionResumption: { handle: before } });
  const again = await second.nextTurn();
  assert.match(normalize(again.outputText), /purple elephants/);
  second.session.close();
});

test('an unknown resumption handle is refused with 1008', async () => {
  const c = await connect(server.port, { sessionResumption: { handle: 'no-such-handle' } });
  assert.equal(c.session, null, 'connect() does not complete');
  const closed = await c.waitClosed();
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /session not found/);
});

test('goAway announces the end of the connection, then the server closes with 1008', async () => {
  const short = await startServer(['--max-connection-seconds', '3']);
  try {
    const c = await connect(short.port, { sessionResumption: {} });
    await c.waitFor(() => c.events.some((e) => e.m?.goAway), 'goAway', 10000);
    const goAway = c.events.find((e) => e.m?.goAway);
    const left = parseFloat(goAway.m.goAway.timeLeft);
    assert.ok(left > 0 && left <= 3, `timeLeft ${goAway.m.goAway.timeLeft}`);
    const closed = await c.waitClosed(10000);
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /GoAway/);
    assert.ok(closed.at - goAway.at >= (left * 1000) - 300, 'closed no earlier than timeLeft said');
  } finally {
    await short.stop();
  }
});

export { StartSensitivity, EndSensitivity };
