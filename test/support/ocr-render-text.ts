import sharp from "sharp";

/** Renders lines of black text on white (SVG rasterised by sharp) for OCR tests. */
export async function renderTextPng(lines: string[], options: { width?: number; fontSize?: number } = {}): Promise<Buffer> {
  const fontSize = options.fontSize ?? 36;
  const lineHeight = Math.round(fontSize * 2);
  const width = options.width ?? 720;
  const height = lineHeight * lines.length + fontSize;
  const escapeXml = (text: string) => text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  const texts = lines
    .map(
      (line, index) =>
        `<text x="24" y="${lineHeight * (index + 1)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" fill="black">${escapeXml(line)}</text>`,
    )
    .join("");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="white"/>${texts}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
