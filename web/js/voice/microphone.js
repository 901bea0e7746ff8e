/**
 * The microphone as 24 kHz PCM16 frames (20 ms each) through an AudioWorklet. Browsers give the
 * microphone (getUserMedia) and audio worklets to secure contexts only: localhost, 127.0.0.1 or
 * HTTPS (`server.tls`).
 *
 * @typedef {object} Microphone
 * @property {() => void} close stops the tracks (the browser's recording indicator goes off)
 */

/** Why the microphone cannot work on this page, or undefined when it can. */
export function microphoneUnavailableReason() {
  if (!window.isSecureContext)
    return "Browsers only give the microphone to secure pages: open Station on http://localhost:… or http://127.0.0.1:…, or over HTTPS (server.tls; bin/station cert writes a local certificate).";
  if (navigator.mediaDevices?.getUserMedia === undefined) return "This browser has no microphone access (navigator.mediaDevices).";
  if (typeof AudioWorkletNode === "undefined") return "This browser has no AudioWorklet, which records the microphone here.";
  return undefined;
}

/**
 * @param {AudioContext} preferred runs the worklet (best created at 24 kHz; other rates are resampled)
 * @param {(frame: {pcm: ArrayBuffer, peak: number}) => void} onFrame
 * @returns {Promise<Microphone>}
 */
export async function openMicrophone(preferred, onFrame) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  });
  /** @type {AudioContext | undefined} */
  let own;
  try {
    /** @type {MediaStreamAudioSourceNode} */
    let source;
    let context = preferred;
    try {
      source = context.createMediaStreamSource(stream);
    } catch {
      // Firefox cannot feed a microphone into a context at another rate: record at the
      // microphone's own rate, and the worklet resamples to 24 kHz.
      own = new AudioContext();
      context = own;
      source = context.createMediaStreamSource(stream);
      await context.resume();
    }
    await context.audioWorklet.addModule(new URL("./pcm-capture-worklet.js", import.meta.url));
    const capture = new AudioWorkletNode(context, "pcm-capture", { numberOfOutputs: 1 });
    capture.port.onmessage = (event) => onFrame(event.data);
    source.connect(capture);
    // Connected to the output (silent: the processor writes nothing) so the graph pulls it.
    capture.connect(context.destination);
    return {
      close() {
        source.disconnect();
        capture.disconnect();
        capture.port.onmessage = null;
        for (const track of stream.getTracks()) track.stop();
        void own?.close().catch(() => {});
      },
    };
  } catch (error) {
    for (const track of stream.getTracks()) track.stop();
    void own?.close().catch(() => {});
    throw error;
  }
}
