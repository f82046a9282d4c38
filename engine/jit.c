/*
** jit.c -- the registry of compiled code: which module and function a PC
** in JIT code belongs to (jit.h).
*/
#include <pthread.h>
#include <stdlib.h>

#include "codemem.h"
#include "jit.h"

static pthread_mutex_t jits_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sf_jit **jits;
static uint32_t njits, capjits;

void
sf_jit_register(struct sf_jit *j)
{
	pthread_mutex_lock(&jits_lock);
	if (njits == capjits)
	{
		uint32_t	ncap = capjits ? capjits * 2 : 16;
		struct sf_jit **nj = realloc(jits, ncap * sizeof(*nj));

		if (nj == NULL)
		{
			/* traps in this module just won't name their function */
			pthread_mutex_unlock(&jits_lock);
			return;
		}
		jits = nj;
		capjits = ncap;
	}
	jits[njits++] = j;
	pthread_mutex_unlock(&jits_lock);
}

void
sf_jit_unregister(struct sf_jit *j)
{
	pthread_mutex_lock(&jits_lock);
	for (uint32_t i = 0; i < njits; i++)
		if (jits[i] == j)
		{
			jits[i] = jits[--njits];
			break;
		}
	pthread_mutex_unlock(&jits_lock);
}

const sf_module *
sf_jit_find_pc(uintptr_t pc, uint32_t *func_index)
{
	sf_jit_loc	loc;

	if (!sf_jit_locate(pc, &loc))
		return NULL;
	*func_index = loc.func_index;
	return loc.m;
}

uint32_t
sf_jit_fuel_ahead(uintptr_t pc)
{
	uint32_t	n = 0;

	pthread_mutex_lock(&jits_lock);
	for (uint32_t i = 0; i < njits; i++)
	{
		struct sf_jit *j = jits[i];
		uintptr_t	base = (uintptr_t) j->code;

		if (pc < base || pc >= base + j->code_len)
			continue;
		for (uint32_t a = 0; a < j->nahead; a++)
		{
			const sf_fuel_ahead *r = &j->ahead[a];
			uintptr_t	func = base + j->func_off[r->def];

			if (pc >= func + r->lo && pc < func + r->hi)
				n = r->n;
		}
		break;
	}
	pthread_mutex_unlock(&jits_lock);
	return n;
}

bool
sf_jit_locate(uintptr_t pc, sf_jit_loc *out)
{
	bool		found = false;

	pthread_mutex_lock(&jits_lock);
	for (uint32_t i = 0; i < njits && !found; i++)
	{
		struct sf_jit *j = jits[i];
		uintptr_t	base = (uintptr_t) j->code;

		if (pc < base || pc >= base + j->code_len)
			continue;
		for (uint32_t f = 0; f < j->nfuncs; f++)
			if (pc >= base + j->func_off[f] && pc < base + j->func_end[f])
			{
				out->m = j->m;
				out->func_index = j->m->nfunc_imports + f;
				out->func = j->code + j->func_off[f];
				out->off = (uint32_t) (pc - (uintptr_t) out->func);
				out->wasm = sf_codemap_find(j->maps + j->map_off[f], j->maps + j->map_end[f],
											j->m->codes[f].expr_off, out->off, &out->marks);
				found = true;
				break;
			}
	}
	pthread_mutex_unlock(&jits_lock);
	return found;
}

void
sf_jit_free(struct sf_jit *j)
{
	if (j == NULL)
		return;
	sf_jit_unregister(j);
	sf_codemem_free(j->code, j->code_kept ? j->code_kept : j->code_len);
	free(j->func_off);
	free(j->func_end);
	free(j->type_ids);
	free(j->maps);
	free(j->map_off);
	free(j->map_end);
	free(j->ahead);
	free(j);
}
