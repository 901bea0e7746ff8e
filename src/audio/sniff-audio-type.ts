/** Container formats Station reads, by their magic bytes (the file name and Content-Type are the client's word only). */
export type AudioContainer = "wav" | "mp3" | "ogg" | "flac" | "webm" | "mp4";

const mediaTypes: Record<AudioContainer, string> = {
  wav: "audio/wav",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  flac: "audio/flac",
  webm: "audio/webm",
  mp4: "audio/mp4",
};

export function audioMediaType(container: AudioContainer): string {
  return mediaTypes[container];
}

export function sniffAudioType(data: Uint8Array): AudioContainer | undefined {
  const ascii = (start: number, end: number) => Buffer.from(data.subarray(start, end)).toString("latin1");
  if (data.length >= 12 && (ascii(0, 4) === "RIFF" || ascii(0, 4) === "RIFX") && ascii(8, 12) === "WAVE") return "wav";
  if (ascii(0, 4) === "OggS") return "ogg";
  if (ascii(0, 4) === "fLaC") return "flac";
  if (data[0] === 0x1a && data[1] === 0x45 && data[2] === 0xdf && data[3] === 0xa3) return "webm";
  if (data.length >= 8 && ascii(4, 8) === "ftyp") return "mp4";
  if (ascii(0, 3) === "ID3") return "mp3";
  // An MPEG audio frame sync: 11 set bits, then a layer that is not "reserved".
  if (data[0] === 0xff && data[1] !== undefined && (data[1] & 0xe0) === 0xe0 && (data[1] & 0x06) !== 0) return "mp3";
  return undefined;
}
