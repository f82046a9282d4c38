// levenshtein(a text, b text) -> integer: the edit distance between two
// strings in Unicode code points, as examples/c/levenshtein.c computes it.
// A plain export: the SDK's transform (asc --transform .../slackfuel/transform.mjs)
// generates the wrapper that takes the strings as UTF-8 (ptr, len).
import "slackfuel";

function codePoints(s: string): Int32Array {
  const out = new Int32Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const cp = s.codePointAt(i);
    if (cp > 0xffff) i++;
    out[n++] = cp;
  }
  return out.subarray(0, n);
}

export function levenshtein(a: string, b: string): i32 {
  const x = codePoints(a);
  const y = codePoints(b);
  const row = new Int32Array(y.length + 1);
  for (let j = 0; j <= y.length; j++) row[j] = j;
  for (let i = 0; i < x.length; i++) {
    let diag = row[0];
    row[0] = i + 1;
    for (let j = 0; j < y.length; j++) {
      const up = row[j + 1];
      row[j + 1] = min(diag + i32(x[i] != y[j]), min(up + 1, row[j] + 1));
      diag = up;
    }
  }
  return row[y.length];
}
