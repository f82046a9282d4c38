// One module, two functions over bytea, as examples/c/sha256.c:
//
//   sha256(data bytea) -> bytea
//   hmac_sha256(key bytea, data bytea) -> bytea      (RFC 2104)
//
// Plain exports over Uint8Array: the SDK's transform generates their
// canonical-ABI wrappers, cabi_realloc and cabi_post_<name>.
import "slackfuel";

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const H0: StaticArray<u32> = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

const W = new StaticArray<u32>(64);

function compress(h: StaticArray<u32>, block: Uint8Array, at: i32): void {
  for (let i = 0; i < 16; i++) {
    const p = at + 4 * i;
    W[i] = (<u32>block[p] << 24) | (<u32>block[p + 1] << 16) | (<u32>block[p + 2] << 8) | <u32>block[p + 3];
  }
  for (let i = 16; i < 64; i++) {
    const s0 = rotr(W[i - 15], 7) ^ rotr(W[i - 15], 18) ^ (W[i - 15] >>> 3);
    const s1 = rotr(W[i - 2], 17) ^ rotr(W[i - 2], 19) ^ (W[i - 2] >>> 10);
    W[i] = W[i - 16] + s0 + W[i - 7] + s1;
  }
  let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
  for (let i = 0; i < 64; i++) {
    const t1 = k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + W[i];
    const t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    k = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

// The digest of the concatenation of 'parts'.
function digest(parts: Uint8Array[]): Uint8Array {
  const h = new StaticArray<u32>(8);
  for (let i = 0; i < 8; i++) h[i] = H0[i];
  let total = 0;
  for (let i = 0; i < parts.length; i++) total += parts[i].length;
  // The message, the 0x80 byte, zeros, and the length in bits: whole blocks.
  const padded = new Uint8Array(((total + 8) / 64 + 1) * 64);
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    padded.set(parts[i], at);
    at += parts[i].length;
  }
  padded[total] = 0x80;
  const bits = <u64>total * 8;
  for (let i = 0; i < 8; i++) padded[padded.length - 1 - i] = <u8>(bits >> (8 * i));
  for (let p = 0; p < padded.length; p += 64) compress(h, padded, p);
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = <u8>(h[i >> 2] >>> (24 - 8 * (i & 3)));
  return out;
}

export function sha256(data: Uint8Array): Uint8Array {
  return digest([data]);
}

export function hmac_sha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length > 64) key = digest([key]);
  const inner = new Uint8Array(64);
  const outer = new Uint8Array(64);
  for (let i = 0; i < 64; i++) {
    const k: u8 = i < key.length ? key[i] : 0;
    inner[i] = k ^ 0x36;
    outer[i] = k ^ 0x5c;
  }
  return digest([outer, digest([inner, data])]);
}
