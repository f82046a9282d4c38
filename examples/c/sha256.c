/*
 * One module, several functions: SHA-256 and HMAC-SHA-256 (RFC 2104)
 * over bytea, and their hexadecimal forms over text.
 *
 *	sha256(data bytea) -> bytea
 *	hmac_sha256(key bytea, data bytea) -> bytea
 *	sha256_hex(data text) -> text
 *
 * Built with wasi-libc (for memcpy and memset), to show that form.
 */
#include "slackfuel.h"

typedef struct sha256_ctx
{
	uint32_t	h[8];
	uint8_t		block[64];
	size_t		fill;			/* bytes in 'block' */
	uint64_t	total;			/* bytes hashed */
} sha256_ctx;

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t
ror(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

static void
compress(uint32_t h[8], const uint8_t *p)
{
	uint32_t	w[64];
	uint32_t	a = h[0], b = h[1], c = h[2], d = h[3];
	uint32_t	e = h[4], f = h[5], g = h[6], k = h[7];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 |
			(uint32_t) p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ w[i - 15] >> 3) +
			w[i - 7] + (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ w[i - 2] >> 10);
	for (int i = 0; i < 64; i++)
	{
		uint32_t	t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
		uint32_t	t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));

		k = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += k;
}

static void
sha256_init(sha256_ctx *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->h, iv, sizeof(iv));
	c->fill = 0;
	c->total = 0;
}

static void
sha256_update(sha256_ctx *c, const uint8_t *p, size_t n)
{
	c->total += n;
	while (n > 0)
	{
		size_t		take = 64 - c->fill < n ? 64 - c->fill : n;

		memcpy(c->block + c->fill, p, take);
		c->fill += take;
		p += take;
		n -= take;
		if (c->fill == 64)
		{
			compress(c->h, c->block);
			c->fill = 0;
		}
	}
}

static void
sha256_final(sha256_ctx *c, uint8_t out[32])
{
	uint64_t	bits = c->total * 8;
	uint8_t		pad[72] = {0x80};
	size_t		npad = (c->fill < 56 ? 56 : 120) - c->fill;

	for (int i = 0; i < 8; i++)
		pad[npad + i] = (uint8_t) (bits >> (56 - 8 * i));
	sha256_update(c, pad, npad + 8);
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t) (c->h[i / 4] >> (24 - 8 * (i % 4)));
}

static sf_bytes
sha256(sf_bytes data)
{
	sha256_ctx	c;
	sf_bytes	out = sf_bytes_new(32);

	sha256_init(&c);
	sha256_update(&c, data.ptr, data.len);
	sha256_final(&c, out.ptr);
	return out;
}
SF_EXPORT(sha256, sf_bytes, sf_bytes)

static sf_bytes
hmac_sha256(sf_bytes key, sf_bytes data)
{
	uint8_t		k[64] = {0};
	uint8_t		pad[64];
	sha256_ctx	c;
	sf_bytes	out = sf_bytes_new(32);

	if (key.len > 64)
	{
		sha256_init(&c);
		sha256_update(&c, key.ptr, key.len);
		sha256_final(&c, k);
	}
	else
		memcpy(k, key.ptr, key.len);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x36;
	sha256_init(&c);
	sha256_update(&c, pad, 64);
	sha256_update(&c, data.ptr, data.len);
	sha256_final(&c, out.ptr);
	for (int i = 0; i < 64; i++)
		pad[i] = k[i] ^ 0x5c;
	sha256_init(&c);
	sha256_update(&c, pad, 64);
	sha256_update(&c, out.ptr, 32);
	sha256_final(&c, out.ptr);
	return out;
}
SF_EXPORT(hmac_sha256, sf_bytes, sf_bytes, sf_bytes)

static sf_string
sha256_hex(sf_string text)
{
	static const char digits[] = "0123456789abcdef";
	sha256_ctx	c;
	uint8_t		h[32];
	sf_string	out = sf_string_new(64);

	sha256_init(&c);
	sha256_update(&c, (const uint8_t *) text.ptr, text.len);
	sha256_final(&c, h);
	for (int i = 0; i < 32; i++)
	{
		out.ptr[2 * i] = digits[h[i] >> 4];
		out.ptr[2 * i + 1] = digits[h[i] & 15];
	}
	return out;
}
SF_EXPORT(sha256_hex, sf_string, sf_string)
