// text.test.mjs - chat text helpers (signaling/web/text.js).
import test from 'node:test';
import assert from 'node:assert/strict';
import { codePoints, unescapeChat } from '../../signaling/web/text.js';

test('codePoints counts code points, as the server limit does', () => {
  assert.equal(codePoints(''), 0);
  assert.equal(codePoints('abc'), 3);
  assert.equal(codePoints('😀'), 1, 'an emoji (two UTF-16 units) is one');
  assert.equal(codePoints('é😀x'), 3);
  assert.equal(codePoints('😀'.repeat(500)), 500);
});

test('unescapeChat decodes the five escapes of the server, nothing else', () => {
  assert.equal(unescapeChat('&lt;b&gt; &amp; &quot;hi&quot; &#39;'), '<b> & "hi" \'');
  assert.equal(unescapeChat('&amp;lt;'), '&lt;', 'decoded once');
  assert.equal(unescapeChat('&nbsp;&#60;&copy;'), '&nbsp;&#60;&copy;');
  assert.equal(unescapeChat('plain'), 'plain');
});
