/**
 * Draws detection boxes and points over an image. Coordinates are Moondream's: normalised 0..1
 * from the top-left of the image as shown (EXIF orientation applied), so they scale to whatever
 * size the image is displayed at. The canvas is sized in device pixels for crisp lines.
 *
 * @param {HTMLCanvasElement} canvas positioned exactly over the image
 * @param {HTMLImageElement} image
 * @param {{boxes?: {x_min: number, y_min: number, x_max: number, y_max: number}[], points?: {x: number, y: number}[], label?: string}} marks
 */
export function drawOverlay(canvas, image, marks) {
  const width = image.clientWidth;
  const height = image.clientHeight;
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(width * ratio));
  canvas.height = Math.max(1, Math.round(height * ratio));
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const context = canvas.getContext("2d");
  if (context === null) return;
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  const accent = getComputedStyle(canvas).getPropertyValue("--overlay").trim() || "#ff3d7f";
  context.lineWidth = 3;
  context.font = "600 13px system-ui, sans-serif";
  (marks.boxes ?? []).forEach((box, index) => {
    const x = box.x_min * width;
    const y = box.y_min * height;
    const w = (box.x_max - box.x_min) * width;
    const hgt = (box.y_max - box.y_min) * height;
    context.strokeStyle = accent;
    context.fillStyle = `${accent}22`;
    context.fillRect(x, y, w, hgt);
    context.strokeRect(x, y, w, hgt);
    const tag = `${marks.label ?? "object"} ${index + 1}`;
    const tagWidth = context.measureText(tag).width + 10;
    const tagY = y >= 20 ? y - 20 : y;
    context.fillStyle = accent;
    context.fillRect(x - 1.5, tagY, tagWidth, 20);
    context.fillStyle = "#fff";
    context.fillText(tag, x + 4, tagY + 14);
  });
  for (const point of marks.points ?? []) {
    const x = point.x * width;
    const y = point.y * height;
    context.beginPath();
    context.arc(x, y, 7, 0, Math.PI * 2);
    context.fillStyle = accent;
    context.fill();
    context.lineWidth = 2.5;
    context.strokeStyle = "#fff";
    context.stroke();
  }
}
