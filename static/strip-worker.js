// Trove's in-browser metadata stripper (a Web Worker). It mirrors the server's allowlist in
// trove/media/strip/ (jpeg.py, png.py, webp.py, ../icc.py, ../exif.py): keep what the picture
// needs, drop everything else, never re-encode. JPEG scan data is copied byte for byte.
// What it cannot parse is sent as chosen and stripped by the server, which strips and
// checks every upload anyway. Only a lab's maximum long edge makes it re-encode (lossy).
//
// Message in:  {id, file: Blob, maxLongEdge: int|null}
// Message out: {id, blob, stripped: bool, kind, resized: [w, h]|null, reason}
"use strict";

var DAMAGED = "The image is damaged";

function fail(message) { throw new Error(message); }

function concat(parts) {
  var total = 0;
  var i;
  for (i = 0; i < parts.length; i += 1) { total += parts[i].length; }
  var out = new Uint8Array(total);
  var at = 0;
  for (i = 0; i < parts.length; i += 1) { out.set(parts[i], at); at += parts[i].length; }
  return out;
}

function ascii(text) {
  var out = new Uint8Array(text.length);
  for (var i = 0; i < text.length; i += 1) { out[i] = text.charCodeAt(i); }
  return out;
}

function bytesEqual(data, at, expected) {
  if (at + expected.length > data.length) { return false; }
  for (var i = 0; i < expected.length; i += 1) {
    if (data[at + i] !== expected[i]) { return false; }
  }
  return true;
}

function u16be(d, at) { return (d[at] << 8) | d[at + 1]; }
function u32be(d, at) { return ((d[at] << 24) >>> 0) + ((d[at + 1] << 16) | (d[at + 2] << 8) | d[at + 3]); }
function u32le(d, at) { return ((d[at + 3] << 24) >>> 0) + ((d[at + 2] << 16) | (d[at + 1] << 8) | d[at]); }

// --- EXIF: the one fact worth keeping, the orientation (trove/media/exif.py) --------------

var EXIF_HEADER = ascii("Exif\0\0");
var MAX_ENTRIES = 1024;

// Return IFD0's Orientation (1-8) from a TIFF structure; 1 when absent or unreadable.
function readOrientation(tiff) {
  tiff = tiff.subarray(0, 8 + 2 + 12 * MAX_ENTRIES + 65536);
  if (bytesEqual(tiff, 0, EXIF_HEADER)) { tiff = tiff.subarray(6); }
  var little;
  if (bytesEqual(tiff, 0, [0x49, 0x49, 0x2A, 0x00])) { little = true; }
  else if (bytesEqual(tiff, 0, [0x4D, 0x4D, 0x00, 0x2A])) { little = false; }
  else { return 1; }
  var view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  try {
    var ifd = view.getUint32(4, little);
    var count = view.getUint16(ifd, little);
    for (var index = 0; index < Math.min(count, MAX_ENTRIES); index += 1) {
      var entry = ifd + 2 + 12 * index;
      var tag = view.getUint16(entry, little);
      var kind = view.getUint16(entry + 2, little);
      var number = view.getUint32(entry + 4, little);
      if (tag !== 0x0112 || number !== 1) { continue; }
      var value;
      if (kind === 3) { value = view.getUint16(entry + 8, little); }
      else if (kind === 4) { value = view.getUint32(entry + 8, little); }
      else { return 1; }
      return value >= 1 && value <= 8 ? value : 1;
    }
  } catch (e) {
    return 1;  // RangeError: the structure points outside itself
  }
  return 1;
}

// Return a minimal big-endian TIFF whose IFD0 holds only the orientation.
function orientationTiff(orientation) {
  return new Uint8Array([
    0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8,  // header, IFD0 at 8
    0, 1,  // one entry
    0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0,  // Orientation SHORT 1
    0, 0, 0, 0  // no IFD1
  ]);
}

// --- ICC: keep the colours, blank the words (trove/media/icc.py) ---------------------------

var TEXT_TAGS = {desc: true, cprt: true, dmnd: true, dmdd: true};

// Return the profile with identifying text zeroed in place, or null if it does not parse.
function cleanIccProfile(profile) {
  var size = profile.length;
  if (size < 132 || !bytesEqual(profile, 36, ascii("acsp"))) { return null; }
  if (u32be(profile, 0) !== size) { return null; }
  var count = u32be(profile, 128);
  var tableEnd = 132 + 12 * count;
  if (count > 1000 || tableEnd > size) { return null; }
  var out = new Uint8Array(profile);  // a copy
  out.fill(0, 48, 56);  // device manufacturer and model
  out.fill(0, 80, 100);  // creator and profile ID
  for (var index = 0; index < count; index += 1) {
    var entry = 132 + 12 * index;
    var signature = String.fromCharCode(profile[entry], profile[entry + 1], profile[entry + 2], profile[entry + 3]);
    var offset = u32be(profile, entry + 4);
    var length = u32be(profile, entry + 8);
    if (offset < tableEnd || length < 8 || offset + length > size) { return null; }
    if (TEXT_TAGS[signature] === true) { blankText(out, offset, length); }
  }
  return out;
}

function blankText(out, offset, length) {
  if (bytesEqual(out, offset, ascii("mluc")) && length >= 16) {
    var records = u32be(out, offset + 8);
    var recordSize = u32be(out, offset + 12);
    if (recordSize >= 12 && 16 + records * recordSize <= length) {
      var stringsStart = 16 + records * recordSize;
      for (var record = 0; record < records; record += 1) {
        out.fill(0, offset + 16 + record * recordSize + 4, offset + 16 + record * recordSize + 8);
      }
      out.fill(0, offset + stringsStart, offset + length);
      return;
    }
  }
  out.fill(0, offset + 8, offset + length);
}

// --- JPEG (trove/media/strip/jpeg.py) -------------------------------------------------------

var SOF = {0xC0: 1, 0xC1: 1, 0xC2: 1, 0xC3: 1, 0xC9: 1, 0xCA: 1, 0xCB: 1};
var UNSUPPORTED_SOF = {0xC5: 1, 0xC6: 1, 0xC7: 1, 0xCD: 1, 0xCE: 1, 0xCF: 1, 0xDE: 1, 0xDF: 1, 0xF7: 1};
var ICC_HEADER = ascii("ICC_PROFILE\0");
var ICC_CHUNK = 65535 - 2 - ICC_HEADER.length - 2;

function segment(marker, body) {
  var out = new Uint8Array(4 + body.length);
  out[0] = 0xFF;
  out[1] = marker;
  out[2] = (body.length + 2) >> 8;
  out[3] = (body.length + 2) & 0xFF;
  out.set(body, 4);
  return out;
}

// Return where the entropy-coded data starting at ``pos`` ends: the next 0xFF that is not
// stuffing (00), a restart marker (D0-D7) or fill (FF); -1 if there is none.
function scanEnd(d, pos) {
  for (;;) {
    pos = d.indexOf(0xFF, pos);
    if (pos < 0 || pos + 1 >= d.length) { return -1; }
    var next = d[pos + 1];
    if (next !== 0x00 && next !== 0xFF && (next < 0xD0 || next > 0xD7)) { return pos; }
    pos += 1;
  }
}

// Return the parts of the stripped JPEG: new small pieces, and views of ``d`` (the scans).
function stripJpeg(d) {
  if (d[0] !== 0xFF || d[1] !== 0xD8) { fail("This file is not a JPEG image."); }
  var size = d.length;
  var out = [new Uint8Array([0xFF, 0xD8])];
  var headerEnd = 1;
  var orientation = null;
  var iccChunks = [];
  var iccAt = null;
  var adobeKept = false;
  var frame = null;
  var quantTables = {};
  var lossless = false;
  var scans = 0;
  var pos = 2;
  for (;;) {
    if (pos >= size) { fail("truncated"); }
    if (d[pos] !== 0xFF) { fail(DAMAGED + ": unexpected data between its segments."); }
    while (pos < size && d[pos] === 0xFF) { pos += 1; }
    if (pos >= size) { fail("truncated"); }
    var marker = d[pos];
    pos += 1;
    if (marker === 0xD9) {
      if (!scans) { fail("The image has no picture data."); }
      out.push(new Uint8Array([0xFF, 0xD9]));
      break;  // whatever follows the end of the image is dropped
    }
    if (marker === 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) { fail(DAMAGED + ": a marker is out of place."); }
    if (marker === 0x01) { continue; }
    if (pos + 2 > size) { fail("truncated"); }
    var length = u16be(d, pos);
    var end = pos + length;
    if (length < 2) { fail(DAMAGED + ": a segment has an invalid length."); }
    if (end > size) { fail("truncated"); }
    var whole = d.subarray(pos - 2, end);
    var body = d.subarray(pos + 2, end);
    pos = end;

    if (marker === 0xDA) {
      if (frame === null) { fail(DAMAGED + ": picture data comes before its header."); }
      checkScanHeader(body, frame, lossless ? null : quantTables);
      var stop = scanEnd(d, end);
      if (stop < 0) { fail("truncated"); }
      if (stop === end) { fail(DAMAGED + ": a scan has no data."); }
      out.push(whole, d.subarray(end, stop));  // entropy-coded data, byte for byte
      pos = stop;
      scans += 1;
    } else if (SOF[marker]) {
      if (frame !== null) { fail(DAMAGED + ": it has two picture headers."); }
      frame = parseFrame(body);
      lossless = marker === 0xC3 || marker === 0xCB;
      out.push(whole);
    } else if (marker === 0xDB) {
      parseQuantTables(body, quantTables);
      out.push(whole);
    } else if (marker === 0xC4) {
      checkHuffmanTables(body);
      out.push(whole);
    } else if (marker === 0xDD) {
      if (length !== 4) { fail(DAMAGED + ": its restart interval is invalid."); }
      out.push(whole);
    } else if (marker === 0xCC) {
      if (length % 2) { fail(DAMAGED + ": its arithmetic tables are invalid."); }
      out.push(whole);
    } else if (marker === 0xDC) {
      if (length !== 4 || !scans) { fail(DAMAGED + ": its line count is out of place."); }
      out.push(whole);
    } else if (marker === 0xE0) {
      // JFIF counts only as the first segment; JFXX thumbnails and others are dropped.
      if (out.length === 1 && bytesEqual(body, 0, ascii("JFIF\0"))) {
        if (body.length < 14) { fail(DAMAGED + ": its JFIF header is too short."); }
        var jfif = new Uint8Array(14);
        jfif.set(body.subarray(0, 12));
        out.push(segment(0xE0, jfif));
        headerEnd = 2;
      }
    } else if (marker === 0xE1) {
      if (orientation === null && bytesEqual(body, 0, EXIF_HEADER)) {
        orientation = readOrientation(body.subarray(6));
      }
    } else if (marker === 0xE2) {
      if (bytesEqual(body, 0, ICC_HEADER) && body.length > 14) {
        if (iccAt === null) { iccAt = out.length; }
        iccChunks.push([body[12], body[13], body.subarray(14)]);
      }
    } else if (marker === 0xEE) {
      if (!adobeKept && bytesEqual(body, 0, ascii("Adobe")) && body.length >= 12) {
        adobeKept = true;
        out.push(segment(0xEE, body.subarray(0, 12)));
      }
    } else if ((marker >= 0xE0 && marker <= 0xEF) || marker === 0xFE) {
      continue;  // EXIF, XMP, IPTC/Photoshop, MPF, vendor blocks, comments
    } else if (UNSUPPORTED_SOF[marker] || marker === 0xC8 || (marker >= 0xF0 && marker <= 0xFD)) {
      fail("The image uses a kind of JPEG this site cannot show.");
    } else {
      fail(DAMAGED + ": it has an unknown segment.");
    }
  }
  if (iccAt !== null) {
    Array.prototype.splice.apply(out, [iccAt, 0].concat(iccSegments(iccChunks)));
  }
  if (orientation !== null && orientation !== 1) {
    out.splice(headerEnd, 0, segment(0xE1, concat([EXIF_HEADER, orientationTiff(orientation)])));
  }
  return out;
}

function parseFrame(body) {
  if (body.length < 6) { fail(DAMAGED + ": its picture header is too short."); }
  var height = u16be(body, 1);
  var width = u16be(body, 3);
  var count = body[5];
  if (body.length !== 6 + 3 * count || count < 1 || count > 4) { fail(DAMAGED + ": its picture header is invalid."); }
  if (width === 0 || height === 0) { fail("The image has no pixels."); }
  var components = {};
  for (var index = 0; index < count; index += 1) {
    var ident = body[6 + 3 * index];
    var sampling = body[7 + 3 * index];
    var table = body[8 + 3 * index];
    if (components[ident] !== undefined || table > 3 || (sampling >> 4) < 1 || (sampling >> 4) > 4 ||
        (sampling & 0x0F) < 1 || (sampling & 0x0F) > 4) {
      fail(DAMAGED + ": its picture header is invalid.");
    }
    components[ident] = table;
  }
  return components;
}

function parseQuantTables(body, tables) {
  var pos = 0;
  var found = false;
  while (pos < body.length) {
    var precision = body[pos] >> 4;
    var table = body[pos] & 0x0F;
    if (precision > 1 || table > 3) { fail(DAMAGED + ": a quantisation table is invalid."); }
    pos += 1 + 64 * (precision + 1);
    tables[table] = true;
    found = true;
  }
  if (pos !== body.length || !found) { fail(DAMAGED + ": a quantisation table is invalid."); }
}

function checkHuffmanTables(body) {
  var pos = 0;
  while (pos < body.length) {
    if (pos + 17 > body.length || (body[pos] >> 4) > 1 || (body[pos] & 0x0F) > 3) {
      fail(DAMAGED + ": a Huffman table is invalid.");
    }
    var symbols = 0;
    for (var i = 1; i <= 16; i += 1) { symbols += body[pos + i]; }
    if (symbols > 256) { fail(DAMAGED + ": a Huffman table is invalid."); }
    pos += 17 + symbols;
  }
  if (pos !== body.length || pos === 0) { fail(DAMAGED + ": a Huffman table is invalid."); }
}

function checkScanHeader(body, frame, quant) {
  var count = body.length ? body[0] : 0;
  if (count < 1 || count > 4 || body.length !== 4 + 2 * count) { fail(DAMAGED + ": a scan header is invalid."); }
  for (var index = 0; index < count; index += 1) {
    var ident = body[1 + 2 * index];
    if (frame[ident] === undefined) { fail(DAMAGED + ": a scan names a component the picture lacks."); }
    if (quant !== null && !quant[frame[ident]]) { fail(DAMAGED + ": a quantisation table is missing."); }
  }
}

// Reassemble, clean and re-split the ICC profile; [] drops one that does not parse.
function iccSegments(chunks) {
  var total = chunks[0][1];
  var ordered = chunks.slice().sort(function (a, b) { return a[0] - b[0]; });
  for (var i = 0; i < ordered.length; i += 1) {
    if (ordered[i][1] !== total || ordered[i][0] !== i + 1) { return []; }
  }
  if (total !== chunks.length) { return []; }
  var profile = cleanIccProfile(concat(ordered.map(function (c) { return c[2]; })));
  if (profile === null) { return []; }
  var pieces = [];
  for (var at = 0; at < profile.length; at += ICC_CHUNK) { pieces.push(profile.subarray(at, at + ICC_CHUNK)); }
  if (pieces.length > 255) { return []; }
  return pieces.map(function (piece, index) {
    return segment(0xE2, concat([ICC_HEADER, new Uint8Array([index + 1, pieces.length]), piece]));
  });
}

// --- PNG (trove/media/strip/png.py) ---------------------------------------------------------

var PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
var PNG_KEEP = {
  IHDR: 1, PLTE: 1, IDAT: 1, IEND: 1, tRNS: 1, gAMA: 1, cHRM: 1, sRGB: 1, iCCP: 1,
  sBIT: 1, pHYs: 1, cICP: 1, mDCv: 1, cLLi: 1, acTL: 1, fcTL: 1, fdAT: 1
};
var MAX_ICC = 16 * 1024 * 1024;
var VALID_DEPTHS = {0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]};

var CRC_TABLE = (function () {
  var table = new Int32Array(256);
  for (var n = 0; n < 256; n += 1) {
    var c = n;
    for (var k = 0; k < 8; k += 1) { c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1; }
    table[n] = c;
  }
  return table;
})();

function crc32(d, start, end) {
  var c = -1;
  for (var i = start; i < end; i += 1) { c = CRC_TABLE[(c ^ d[i]) & 0xFF] ^ (c >>> 8); }
  return (c ^ -1) >>> 0;
}

function pngChunk(kind, payload) {
  var out = new Uint8Array(12 + payload.length);
  var view = new DataView(out.buffer);
  view.setUint32(0, payload.length);
  out.set(ascii(kind), 4);
  out.set(payload, 8);
  view.setUint32(8 + payload.length, crc32(out, 4, 8 + payload.length));
  return out;
}

// Return [[type, whole chunk, payload], ...] up to IEND, checking lengths and CRCs.
function pngChunks(d) {
  var chunks = [];
  var pos = 8;
  for (;;) {
    if (pos + 12 > d.length) { fail("truncated"); }
    var length = u32be(d, pos);
    if (length > 0x7FFFFFFF) { fail(DAMAGED + ": a chunk has an invalid length."); }
    var end = pos + 12 + length;
    if (end > d.length) { fail("truncated"); }
    var kind = String.fromCharCode(d[pos + 4], d[pos + 5], d[pos + 6], d[pos + 7]);
    if (!/^[A-Za-z]{4}$/.test(kind)) { fail(DAMAGED + ": a chunk has an invalid name."); }
    if (crc32(d, pos + 4, end - 4) !== u32be(d, end - 4)) { fail(DAMAGED + ": a chunk fails its checksum."); }
    chunks.push([kind, d.subarray(pos, end), d.subarray(pos + 8, end - 4)]);
    if (kind === "IEND") { return chunks; }
    pos = end;
  }
}

// Return the parts of the stripped PNG (new pieces, and views of ``d``).
async function stripPng(d) {
  if (!bytesEqual(d, 0, PNG_SIGNATURE)) { fail("This file is not a PNG image."); }
  var out = [PNG_SIGNATURE];
  var orientation = null;
  var header = null;
  var seen = {};
  var idatDone = false;
  var chunks = pngChunks(d);
  for (var i = 0; i < chunks.length; i += 1) {
    var kind = chunks[i][0];
    var whole = chunks[i][1];
    var payload = chunks[i][2];
    if (header === null) {
      if (kind !== "IHDR") { fail(DAMAGED + ": it does not start with a PNG header."); }
      header = checkPngHeader(payload);
    } else if (kind === "IHDR") {
      fail(DAMAGED + ": it has two headers.");
    }
    if (kind === "IDAT") {
      if (idatDone) { fail(DAMAGED + ": its picture data is split."); }
    } else if (seen.IDAT) {
      idatDone = true;
    }
    seen[kind] = true;
    if (kind === "eXIf") {
      if (orientation === null) { orientation = readOrientation(payload); }
    } else if (kind === "iCCP") {
      var cleaned = await cleanIccp(payload);
      if (cleaned !== null) { out.push(cleaned); }
    } else if (PNG_KEEP[kind]) {
      if (kind === "IEND" && payload.length) { fail(DAMAGED + ": its end marker is invalid."); }
      out.push(whole);
    } else if (kind.charCodeAt(0) < 0x61) {  // an unknown critical chunk (upper case)
      fail("The image uses a PNG feature this site cannot show.");
    }
  }
  if (!seen.IDAT) { fail("The image has no picture data."); }
  if (header[9] === 3 && !seen.PLTE) { fail(DAMAGED + ": its palette is missing."); }
  if (orientation !== null && orientation !== 1) {
    // The server turns the pixels upright (a re-encode); here only the orientation is kept,
    // in a minimal eXIf right after IHDR, so nothing else leaves the phone.
    out.splice(2, 0, pngChunk("eXIf", orientationTiff(orientation)));
  }
  return out;
}

function checkPngHeader(payload) {
  if (payload.length !== 13) { fail(DAMAGED + ": its header is invalid."); }
  var width = u32be(payload, 0);
  var height = u32be(payload, 4);
  var depth = payload[8];
  var colour = payload[9];
  if (!(width > 0 && width <= 0x7FFFFFFF && height > 0 && height <= 0x7FFFFFFF)) { fail(DAMAGED + ": its header is invalid."); }
  if ((VALID_DEPTHS[colour] || []).indexOf(depth) < 0) { fail(DAMAGED + ": its header is invalid."); }
  if (payload[10] || payload[11] || payload[12] > 1) { fail(DAMAGED + ": its header is invalid."); }
  return payload;
}

// Return ``bytes`` run through a (de)compression stream; null past ``limit`` output bytes
// (a compression bomb is never inflated whole).
async function pipe(bytes, stream, limit) {
  var reader = new Blob([bytes]).stream().pipeThrough(stream).getReader();
  var parts = [];
  var size = 0;
  for (;;) {
    var step = await reader.read();
    if (step.done) { return concat(parts); }
    size += step.value.length;
    if (size > limit) { await reader.cancel(); return null; }
    parts.push(step.value);
  }
}

// Return an iCCP chunk with a cleaned profile and a neutral name; null to drop it.
async function cleanIccp(payload) {
  var nameEnd = payload.subarray(0, 80).indexOf(0);
  if (nameEnd < 1 || payload.length < nameEnd + 2 || payload[nameEnd + 1] !== 0) { return null; }
  var profile;
  try {
    profile = await pipe(payload.subarray(nameEnd + 2), new DecompressionStream("deflate"), MAX_ICC);
  } catch (e) {
    return null;  // not one complete zlib stream
  }
  var cleaned = profile && cleanIccProfile(profile);
  if (!cleaned) { return null; }
  var compressed = await pipe(cleaned, new CompressionStream("deflate"), Infinity);
  return pngChunk("iCCP", concat([ascii("ICC profile\0\0"), compressed]));
}

// --- WebP (trove/media/strip/webp.py) -------------------------------------------------------

var ICC_FLAG = 0x20, EXIF_FLAG = 0x08, XMP_FLAG = 0x04, ANIMATION_FLAG = 0x02;

function riffChunks(d, start, end) {
  var chunks = [];
  var pos = start;
  while (pos < end) {
    if (pos + 8 > end) { fail("truncated"); }
    var kind = String.fromCharCode(d[pos], d[pos + 1], d[pos + 2], d[pos + 3]);
    var length = u32le(d, pos + 4);
    var stop = pos + 8 + length;
    if (stop > end) { fail("truncated"); }
    if (!/^[\x20-\x7e]{4}$/.test(kind)) { fail(DAMAGED + ": a chunk has an invalid name."); }
    chunks.push([kind, d.subarray(pos + 8, stop)]);
    pos = stop + (length & 1);  // chunks are padded to an even size
  }
  return chunks;
}

// Return a RIFF chunk as parts: its header, the payload (not copied), an even-size pad.
function riffChunk(kind, payload) {
  var head = new Uint8Array(8);
  head.set(ascii(kind), 0);
  new DataView(head.buffer).setUint32(4, payload.length, true);
  return payload.length & 1 ? [head, payload, new Uint8Array(1)] : [head, payload];
}

// Return the parts of a WebP file holding ``chunks`` (each a list of parts).
function riff(chunks) {
  var parts = [].concat.apply([ascii("WEBP")], chunks);
  var size = 0;
  parts.forEach(function (part) { size += part.length; });
  var head = new Uint8Array(8);
  head.set(ascii("RIFF"), 0);
  new DataView(head.buffer).setUint32(4, size, true);
  return [head].concat(parts);
}

function checkBitstream(kind, payload) {
  if (kind === "VP8 ") {
    if (payload.length < 10 || !bytesEqual(payload, 3, [0x9D, 0x01, 0x2A]) || payload[0] & 1) {
      fail(DAMAGED + ": its WebP picture header is invalid.");
    }
  } else if (payload.length < 5 || payload[0] !== 0x2F) {
    fail(DAMAGED + ": its WebP picture header is invalid.");
  }
}

function isPicture(kind) { return kind === "VP8 " || kind === "VP8L"; }

// Return the parts of the stripped WebP (new pieces, and views of ``d``).
function stripWebp(d) {
  if (!bytesEqual(d, 0, ascii("RIFF")) || !bytesEqual(d, 8, ascii("WEBP"))) { fail("This file is not a WebP image."); }
  var riffSize = u32le(d, 4);
  var end = 8 + riffSize;
  if (riffSize < 12 || end > d.length) { fail("truncated"); }
  var chunks = riffChunks(d, 12, end);
  var firstKind = chunks[0][0];
  var first = chunks[0][1];
  if (isPicture(firstKind)) {
    checkBitstream(firstKind, first);
    if (chunks.length === 1 && end === d.length) { return [d]; }
    return riff([riffChunk(firstKind, first)]);
  }
  if (firstKind !== "VP8X" || first.length < 10) { fail(DAMAGED + ": it has no WebP picture header."); }
  var flags = first[0];
  var kept = [];
  var orientation = null;
  var hasIcc = false, animated = false, hasPicture = false;
  for (var i = 1; i < chunks.length; i += 1) {
    var kind = chunks[i][0];
    var payload = chunks[i][1];
    if (kind === "ICCP") {
      var profile = cleanIccProfile(payload);
      if (profile !== null && !hasIcc) {
        hasIcc = true;
        kept.push(riffChunk(kind, profile));
      }
    } else if (kind === "EXIF") {
      if (orientation === null) { orientation = readOrientation(payload); }
    } else if (kind === "ANIM") {
      if (payload.length !== 6) { fail(DAMAGED + ": its animation header is invalid."); }
      animated = true;
      kept.push(riffChunk(kind, payload));
    } else if (kind === "ANMF") {
      kept.push(riffChunk(kind, cleanFrame(payload)));
      hasPicture = true;
    } else if (isPicture(kind)) {
      checkBitstream(kind, payload);
      kept.push(riffChunk(kind, payload));
      hasPicture = true;
    } else if (kind === "ALPH") {
      kept.push(riffChunk(kind, payload));
    }
    // XMP and unknown chunks are dropped.
  }
  if (!hasPicture) { fail("The image has no picture data."); }
  if (animated !== Boolean(flags & ANIMATION_FLAG)) { fail(DAMAGED + ": its animation flag is wrong."); }
  flags &= ~(EXIF_FLAG | XMP_FLAG | ICC_FLAG) & 0xFF;
  if (hasIcc) { flags |= ICC_FLAG; }
  if (orientation !== null && orientation !== 1) {
    // The server turns a still picture upright (a lossless re-encode); here only the
    // orientation is kept, in a minimal EXIF chunk, as the server does for animations.
    kept.push(riffChunk("EXIF", orientationTiff(orientation)));
    flags |= EXIF_FLAG;
  }
  var vp8x = new Uint8Array(10);
  vp8x.set(first.subarray(0, 10));
  vp8x[0] = flags;
  return riff([riffChunk("VP8X", vp8x)].concat(kept));
}

function cleanFrame(payload) {
  if (payload.length < 16) { fail(DAMAGED + ": an animation frame is invalid."); }
  var kept = [payload.subarray(0, 16)];
  var hasPicture = false;
  riffChunks(payload, 16, payload.length).forEach(function (chunk) {
    if (isPicture(chunk[0])) {
      checkBitstream(chunk[0], chunk[1]);
      hasPicture = true;
      kept = kept.concat(riffChunk(chunk[0], chunk[1]));
    } else if (chunk[0] === "ALPH") {
      kept = kept.concat(riffChunk(chunk[0], chunk[1]));
    }
  });
  if (!hasPicture) { fail(DAMAGED + ": an animation frame has no picture."); }
  return concat(kept);
}

// --- dispatch -------------------------------------------------------------------------------

// Return {parts, kind} stripped losslessly; throw if the format is unknown or does not parse.
async function strip(d) {
  if (d[0] === 0xFF && d[1] === 0xD8) { return {parts: stripJpeg(d), kind: "jpeg"}; }
  if (bytesEqual(d, 0, PNG_SIGNATURE)) { return {parts: await stripPng(d), kind: "png"}; }
  if (bytesEqual(d, 0, ascii("RIFF")) && bytesEqual(d, 8, ascii("WEBP"))) {
    return {parts: stripWebp(d), kind: "webp"};
  }
  fail("This format is stripped on the server.");
}

var MIME = {jpeg: "image/jpeg", png: "image/png", webp: "image/webp"};

// Return {blob, kind}: ``blob`` stripped. Large kept pieces (scans, picture chunks) are slices
// of ``blob`` itself, so the picture data is never copied in this worker, only referred to.
async function stripBlob(blob) {
  var data = new Uint8Array(await blob.arrayBuffer());
  var clean = await strip(data);
  var parts = clean.parts.map(function (part) {
    if (part.buffer !== data.buffer || part.length < 65536) { return part; }
    var start = part.byteOffset - data.byteOffset;
    return blob.slice(start, start + part.length);
  });
  return {blob: new Blob(parts, {type: MIME[clean.kind]}), kind: clean.kind};
}

// Return a JPEG blob at most ``maxLongEdge`` px on its long side, upright, or null when the
// picture is already within it (or this browser cannot decode it, e.g. HEIC in Chromium).
async function downscale(blob, maxLongEdge) {
  var bitmap;
  try {
    bitmap = await createImageBitmap(blob, {imageOrientation: "from-image"});
  } catch (e) {
    return null;
  }
  var long = Math.max(bitmap.width, bitmap.height);
  if (long <= maxLongEdge) { bitmap.close(); return null; }
  var scale = maxLongEdge / long;
  var width = Math.max(1, Math.round(bitmap.width * scale));
  var height = Math.max(1, Math.round(bitmap.height * scale));
  var canvas = new OffscreenCanvas(width, height);
  var context = canvas.getContext("2d");
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  var encoded = await canvas.convertToBlob({type: "image/jpeg", quality: 0.9});
  return {blob: encoded, width: width, height: height};
}

async function prepare(file, maxLongEdge) {
  var result = {blob: file, stripped: false, kind: null, resized: null, reason: ""};
  try {
    var clean = await stripBlob(file);
    result.blob = clean.blob;
    result.kind = clean.kind;
    result.stripped = true;
  } catch (error) {
    result.reason = String(error && error.message || error);
  }
  if (maxLongEdge) {
    var small = await downscale(result.blob, maxLongEdge);
    if (small !== null) {
      // The canvas writes a bare JPEG; strip it too, so the rule holds whatever it wrote.
      result.blob = (await stripBlob(small.blob)).blob;
      result.kind = "jpeg";
      result.stripped = true;
      result.resized = [small.width, small.height];
    }
  }
  return result;
}

self.addEventListener("message", function (event) {
  var message = event.data;
  var work = message.op === "strip"
    ? message.file.arrayBuffer().then(function (buffer) { return strip(new Uint8Array(buffer)); })
      .then(function (clean) { return {bytes: concat(clean.parts), kind: clean.kind}; })
    : prepare(message.file, message.maxLongEdge);
  work.then(function (result) {
    // The stripped bytes move to the page without a copy (the buffer is transferred).
    var transfer = result.bytes ? [result.bytes.buffer] : [];
    self.postMessage({id: message.id, result: result}, transfer);
  }, function (error) {
    self.postMessage({id: message.id, error: String(error && error.message || error)});
  });
});
