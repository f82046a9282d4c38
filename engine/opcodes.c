/*
** opcodes.c -- the opcode table and the reverse map from encodings.
*/
#include "opcodes.h"

const sf_opinfo sf_opinfo_table[SF_OP_COUNT] = {
#define SF_X_(id, name, prefix, code, imm, sig, fuel, mem, trap) \
	{name, prefix, code, imm, fuel, mem, trap, sig},
	SF_OPCODE_LIST(SF_X_)
#undef SF_X_
};

/*
** The switch is generated from the same table; compilers turn the dense
** one-byte range into a jump table.
*/
int
sf_opcode_lookup(uint8_t prefix, uint32_t code)
{
	if (code >= (1u << 24))
		return -1;
	switch (((uint32_t) prefix << 24) | code)
	{
#define SF_X_(id, name, pfx, c, imm, sig, fuel, mem, trap) \
		case ((uint32_t) (pfx) << 24) | (c): return SF_OP_##id;
			SF_OPCODE_LIST(SF_X_)
#undef SF_X_
	}
	return -1;
}
