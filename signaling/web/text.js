// text.js - chat text helpers shared by the page and its tests.

// Code points, not UTF-16 units: what the server's max-message-length
// counts (an emoji is one, not two).
export function codePoints(s) {
  let n = 0;
  for (const _ of s) n++; // eslint-disable-line no-unused-vars
  return n;
}

// The server escapes & < > " ' in chat; the page shows the characters the
// partner typed.  The result goes into textContent, never into HTML, so
// decoding these five is safe; nothing else is decoded.
const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
export function unescapeChat(s) {
  return s.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]);
}
