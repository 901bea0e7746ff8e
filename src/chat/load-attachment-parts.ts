import { StationError } from "../errors/station-error.ts";
import type { ContentPart } from "../providers/spec/index.ts";
import { isImageType, isTextType } from "../uploads/sniff-media-type.ts";
import type { UploadStore } from "../uploads/upload-store.ts";
import type { ImageIntake } from "../vision/create-image-intake.ts";
import type { StoredAttachment } from "./conversation-store.ts";

/** Text attachments longer than this are cut: a pasted log must not blow the context window on its own. */
const maxTextAttachmentBytes = 200 * 1024;

/**
 * Images become image parts, through the image intake like every image a model sees (pixel limits,
 * orientation, bounded size: an upload is stored as sent); text files become text parts with their
 * name; audio adds nothing here (the turn's transcript is its message); anything else is refused (400).
 */
export async function loadAttachmentParts(
  attachments: StoredAttachment[],
  uploads: UploadStore,
  intake: Pick<ImageIntake, "fromBytes">,
): Promise<ContentPart[]> {
  const parts: ContentPart[] = [];
  for (const attachment of attachments) {
    if (isImageType(attachment.media_type)) {
      const { bytes } = await uploads.read(attachment.upload_id);
      parts.push((await intake.fromBytes(bytes, "attachments")).part);
    } else if (isTextType(attachment.media_type)) {
      const { bytes } = await uploads.read(attachment.upload_id);
      const text = bytes.subarray(0, maxTextAttachmentBytes).toString("utf8");
      const cut = bytes.length > maxTextAttachmentBytes ? "\n[attachment truncated]" : "";
      parts.push({ type: "text", text: `Attached file ${attachment.filename ?? attachment.upload_id}:\n${text}${cut}` });
    } else if (attachment.media_type.startsWith("audio/")) {
      // A voice turn's audio: its words are in the message (transcribed when the turn was sent).
    } else {
      throw new StationError({
        code: "unsupported_attachment",
        status: 400,
        param: "attachments",
        message: `Attachment '${attachment.filename ?? attachment.upload_id}' is ${attachment.media_type}; only images and text files can be sent to a model`,
      });
    }
  }
  return parts;
}
