// Reads the images inside a .zip in the browser (stored or deflated entries), so a zip can be sent to /predict/batch.
// Only the central directory is trusted for names and sizes; entries that are not JPEG/PNG are skipped.
const IMAGE = /\.(jpe?g|png)$/i;

export async function imagesInZip(file, { maxEntries = 1000, maxBytes = 20 * 1024 * 1024 } = {}) {
  const buffer = await file.arrayBuffer();
  const view = new DataView(buffer);
  let end = -1;
  for (let i = buffer.byteLength - 22; i >= Math.max(0, buffer.byteLength - 65557); i--) {
    if (view.getUint32(i, true) === 0x06054b50) { end = i; break; }
  }
  if (end < 0) throw new Error(`${file.name} is not a readable .zip archive.`);
  const count = view.getUint16(end + 10, true);
  let offset = view.getUint32(end + 16, true);
  if (count === 0xffff || offset === 0xffffffff) throw new Error(`${file.name} is a ZIP64 archive; send a smaller .zip.`);
  const decoder = new TextDecoder();
  const files = [];
  const skipped = [];
  for (let n = 0; n < count; n++) {
    if (view.getUint32(offset, true) !== 0x02014b50) throw new Error(`${file.name} is damaged (central directory).`);
    const method = view.getUint16(offset + 10, true);
    const compressed = view.getUint32(offset + 20, true);
    const size = view.getUint32(offset + 24, true);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const local = view.getUint32(offset + 42, true);
    const path = decoder.decode(new Uint8Array(buffer, offset + 46, nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
    const name = path.split('/').pop();
    if (path.endsWith('/') || path.startsWith('__MACOSX/') || name.startsWith('.')) continue;
    if (!IMAGE.test(name)) { skipped.push({ name: path, reason: 'not a .jpg, .jpeg or .png file' }); continue; }
    if (files.length >= maxEntries) { skipped.push({ name: path, reason: `more than ${maxEntries} images in one archive` }); continue; }
    if (size > maxBytes) { skipped.push({ name: path, reason: `${size.toLocaleString()} bytes, over the limit of ${maxBytes.toLocaleString()} per image` }); continue; }
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const data = new Blob([new Uint8Array(buffer, start, compressed)]);
    let bytes;
    if (method === 0) bytes = data;
    else if (method === 8) bytes = await new Response(data.stream().pipeThrough(new DecompressionStream('deflate-raw'))).blob();
    else { skipped.push({ name: path, reason: `compression method ${method} is not supported` }); continue; }
    const type = /\.png$/i.test(name) ? 'image/png' : 'image/jpeg';
    files.push(new File([bytes], path, { type }));
  }
  return { files, skipped };
}
