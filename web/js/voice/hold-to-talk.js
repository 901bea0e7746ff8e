/**
 * A button held down while the user talks: pointer (mouse, touch, pen; captured, so sliding off
 * the button does not end the turn) or Space/Enter from the keyboard. `release` may be called
 * more than once for one press (pointerup, then lostpointercapture): the caller ignores repeats.
 *
 * @param {HTMLButtonElement} button
 * @param {{press: () => void, release: () => void}} handlers
 */
export function holdToTalk(button, { press, release }) {
  /** @param {KeyboardEvent} event */
  const isTalkKey = (event) => event.key === " " || event.key === "Enter";
  button.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    button.setPointerCapture(event.pointerId);
    press();
  });
  for (const ending of ["pointerup", "pointercancel", "lostpointercapture", "blur"]) button.addEventListener(ending, release);
  button.addEventListener("keydown", (event) => {
    if (isTalkKey(event) && !event.repeat) {
      event.preventDefault();
      press();
    }
  });
  button.addEventListener("keyup", (event) => {
    if (isTalkKey(event)) release();
  });
}
