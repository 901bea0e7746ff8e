import { h } from "./dom.js";
import { formatBytes } from "./format.js";
import { showError } from "./notices.js";

/**
 * @typedef {object} PickedImage
 * @property {File} file
 * @property {string} dataUrl the image as a `data:` URL, which every Station vision route accepts
 * @property {string} objectUrl a `blob:` URL for showing it
 */

/**
 * An image chooser: a file button, drag and drop onto the zone, or paste (Ctrl+V) anywhere in
 * the view. The file is read in the browser; nothing is uploaded until the user runs something.
 *
 * @param {{id: string, label: string, signal: AbortSignal, onChange: (image: PickedImage | undefined) => void}} options
 */
export function createImagePicker({ id, label, signal, onChange }) {
  const input = h("input", { type: "file", id, accept: "image/*", class: "file-input" });
  const name = h("span", { class: "muted" }, "No image chosen");
  /** @type {PickedImage | undefined} */
  let current;

  const zone = h(
    "div",
    { class: "dropzone" },
    input,
    h("label", { for: id, class: "button" }, label),
    h("p", { class: "muted small" }, "or drop an image here, or paste one"),
    name,
  );

  /** @param {File | undefined | null} file */
  const pick = (file) => {
    if (file === undefined || file === null) return;
    if (!file.type.startsWith("image/")) {
      showError(new Error(`${file.name} is not an image (${file.type || "unknown type"})`), "Choosing an image");
      return;
    }
    const reader = new FileReader();
    reader.addEventListener("load", () => {
      if (current !== undefined) URL.revokeObjectURL(current.objectUrl);
      current = { file, dataUrl: String(reader.result), objectUrl: URL.createObjectURL(file) };
      name.textContent = `${file.name || "pasted image"} · ${formatBytes(file.size)}`;
      onChange(current);
    });
    reader.addEventListener("error", () => showError(reader.error ?? new Error("cannot read the file"), "Reading the image"));
    reader.readAsDataURL(file);
  };

  input.addEventListener("change", () => pick(/** @type {HTMLInputElement} */ (input).files?.[0]));
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    pick(event.dataTransfer?.files[0]);
  });
  const onPaste = (/** @type {ClipboardEvent} */ event) => {
    const file = [...(event.clipboardData?.files ?? [])].find((candidate) => candidate.type.startsWith("image/"));
    if (file !== undefined) {
      event.preventDefault();
      pick(file);
    }
  };
  document.addEventListener("paste", onPaste);
  signal.addEventListener("abort", () => {
    document.removeEventListener("paste", onPaste);
    if (current !== undefined) URL.revokeObjectURL(current.objectUrl);
  });

  return {
    element: zone,
    get image() {
      return current;
    },
  };
}
