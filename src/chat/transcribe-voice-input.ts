import type { AudioService } from "../audio/audio-service.ts";
import type { ClientSettings } from "../clients/client-settings-schemas.ts";
import { StationError } from "../errors/station-error.ts";

/** A spoken part of a chat turn: an uploaded audio attachment, or audio sent inline. */
export interface VoiceInput {
  data: Uint8Array;
  fileName?: string | undefined;
  /** Where it came from, for errors: "audio" or "attachments". */
  param: string;
}

export interface VoiceTranscript {
  text: string;
  model: string;
  duration_seconds: number;
  source: string;
}

/**
 * Transcribes a turn's audio with the client's `stt` settings: `stt.model` (else the default
 * transcription model) and `stt.language` (its primary subtag; `auto` lets the model tell).
 * Bad audio is the audio service's 400, with `param` naming where the audio came from.
 */
export async function transcribeVoiceInput(
  inputs: VoiceInput[],
  stt: ClientSettings["stt"],
  audio: AudioService | undefined,
  signal?: AbortSignal,
): Promise<VoiceTranscript[]> {
  if (inputs.length === 0) return [];
  if (audio === undefined)
    throw new StationError({ code: "unsupported", status: 400, param: inputs[0]?.param, message: "This server has no speech-to-text" });
  const language = stt.language === "auto" ? undefined : stt.language.split("-")[0];
  const transcripts: VoiceTranscript[] = [];
  for (const input of inputs) {
    try {
      const {
        model,
        audio: decoded,
        result,
      } = await audio.transcribe({
        model: stt.model ?? undefined,
        file: { data: input.data, fileName: input.fileName },
        task: "transcribe",
        language,
        signal,
      });
      transcripts.push({ text: result.text.trim(), model, duration_seconds: decoded.durationSeconds, source: input.param });
    } catch (error) {
      // The audio service names its own field ('file'); the chat API's is where the audio came from.
      if (error instanceof StationError && error.param === "file")
        throw new StationError({ code: error.code, status: error.status, param: input.param, message: error.message, cause: error });
      throw error;
    }
  }
  return transcripts;
}
