// SPDX-License-Identifier: Apache-2.0
// Captures what @google/genai 2.32.0 sends: run with the SDK and ws installed beside it
// (npm install @google/genai@2.32.0 ws), `node sdk_capture.mjs`. Its output lines are the golden
// strings of codec_client_test.cpp.
import { WebSocketServer } from 'ws';
import { GoogleGenAI, Modality, StartSensitivity, EndSensitivity, ActivityHandling, TurnCoverage } from '@google/genai';
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
await new Promise(r => wss.on('listening', r)); const port = wss.address().port;
wss.on('connection', (ws) => {
  ws.on('message', (data) => { console.log(data.toString()); if (data.toString().startsWith('{"setup"')) ws.send(JSON.stringify({setupComplete:{}})); });
});
const ai = new GoogleGenAI({ apiKey: 'K', httpOptions: { baseUrl: `http://127.0.0.1:${port}` } });
const s = await ai.live.connect({ model: 'gemini-2.5-flash-native-audio-preview-09-2025', callbacks: { onmessage: () => {} }, config: {
  responseModalities: [Modality.AUDIO], speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Kore' } }, languageCode: 'en-US' },
  systemInstruction: 'You are a helpful assistant.',
  tools: [{ functionDeclarations: [{ name: 'get_time', description: 'current time', parameters: { type: 'OBJECT', properties: { tz: { type: 'STRING' } } } }] }],
  realtimeInputConfig: { automaticActivityDetection: { disabled: false, startOfSpeechSensitivity: StartSensitivity.START_SENSITIVITY_LOW, endOfSpeechSensitivity: EndSensitivity.END_SENSITIVITY_LOW, prefixPaddingMs: 20, silenceDurationMs: 100 }, activityHandling: ActivityHandling.START_OF_ACTIVITY_INTERRUPTS, turnCoverage: TurnCoverage.TURN_INCLUDES_ONLY_ACTIVITY },
  inputAudioTranscription: {}, outputAudioTranscription: {}, sessionResumption: { handle: 'prev-handle' },
  contextWindowCompression: { triggerTokens: '25600', slidingWindow: { targetTokens: '12800' } }, proactivity: { proactiveAudio: true }, enableAffectiveDialog: true, temperature: 0.7 } });
const pcm = Buffer.from([0,1,2,3,4,5,6,7,8,9]).toString('base64');
s.sendRealtimeInput({ audio: { data: pcm, mimeType: 'audio/pcm;rate=16000' } });
s.sendRealtimeInput({ video: { data: Buffer.from([0xff,0xd8,0xff,0xe0]).toString('base64'), mimeType: 'image/jpeg' } });
s.sendRealtimeInput({ text: 'hi there' });
s.sendRealtimeInput({ activityStart: {} });
s.sendRealtimeInput({ activityEnd: {} });
s.sendRealtimeInput({ audioStreamEnd: true });
s.sendRealtimeInput({ media: { data: pcm, mimeType: 'audio/pcm;rate=16000' } });
s.sendClientContent({ turns: 'Hello?' });
s.sendClientContent({ turns: [{role:'user', parts:[{text:'a'}]}, {role:'model', parts:[{text:'b'}]}], turnComplete: false });
s.sendClientContent({ turnComplete: true });
s.sendToolResponse({ functionResponses: [{ id: 'call-1', name: 'get_time', response: { output: '12:00' } }] });
s.sendContextUpdate({ systemInstruction: 'Be brief.' });
s.sendClientContent({ turns: [{role:'model', parts:[{functionCall:{id:'c1', name:'f', args:{a:1}}}]}], turnComplete: false });
const s2 = await ai.live.connect({ model: 'gemini-2.0-flash-live-001', callbacks: { onmessage: () => {} }, config: { temperature: 1.0, topP: 0.95, topK: 40, maxOutputTokens: 100, seed: 7, mediaResolution: 'MEDIA_RESOLUTION_LOW', thinkingConfig: { thinkingBudget: 0, includeThoughts: false } } });
const s3 = await ai.live.connect({ model: 'gemini-2.0-flash-live-001', callbacks: { onmessage: () => {} } });
setTimeout(() => process.exit(0), 300);
