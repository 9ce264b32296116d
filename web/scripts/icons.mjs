// Draws Kontor's default app icons (a white K on the brand green) as PNG files, so the app
// is installable without an organisation logo. Run once; the files are kept in public/icons.
import { writeFileSync, mkdirSync } from "node:fs";
import { deflateSync } from "node:zlib";

const GREEN = [0x0f, 0x5c, 0x4d];

function crc32(buf) {
  let c;
  const table = [];
  for (let n = 0; n < 256; n++) {
    c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  let crc = 0xffffffff;
  for (const b of buf) crc = table[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** Distance from point p to segment a–b. */
function dist(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

function icon(size, { maskable }) {
  const rows = [];
  const r = maskable ? 0 : size * 0.2; // corner radius
  const s = maskable ? 0.6 : 0.72; // glyph scale (maskable keeps to the safe zone)
  const w = size * 0.075 * (s / 0.72);
  const cx = size / 2;
  const top = cx - (size * s) / 2;
  const bottom = cx + (size * s) / 2;
  const left = cx - size * s * 0.3;
  const mid = (top + bottom) / 2;
  const right = cx + size * s * 0.32;
  for (let y = 0; y < size; y++) {
    const row = [0];
    for (let x = 0; x < size; x++) {
      // Rounded square.
      const qx = Math.max(r - x, 0, x - (size - 1 - r));
      const qy = Math.max(r - y, 0, y - (size - 1 - r));
      const inside = r === 0 || qx * qx + qy * qy <= r * r;
      if (!inside) {
        row.push(0, 0, 0, 0);
        continue;
      }
      const d = Math.min(
        dist(x, y, left, top, left, bottom),
        dist(x, y, left + w * 0.4, mid + w * 0.2, right, top),
        dist(x, y, left + w * 1.2, mid - w * 0.6, right, bottom),
      );
      const glyph = d <= w;
      row.push(...(glyph ? [255, 255, 255] : GREEN), 255);
    }
    rows.push(Buffer.from(row));
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const dir = new URL("../public/icons/", import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
writeFileSync(dir + "kontor-192.png", icon(192, { maskable: false }));
writeFileSync(dir + "kontor-512.png", icon(512, { maskable: false }));
writeFileSync(dir + "kontor-maskable-512.png", icon(512, { maskable: true }));
writeFileSync(
  dir + "kontor.svg",
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="13" fill="#0f5c4d"/><path d="M21 13v38M23 33l20-20M26 30l17 21" stroke="#fff" stroke-width="5.5" stroke-linecap="round" fill="none"/></svg>\n`,
);
console.log("icons written to", dir);
