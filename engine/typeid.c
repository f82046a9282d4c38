/*
** typeid.c -- canonical function types: one process-wide id per distinct
** function type, so that call_indirect can compare the type of a function
** from any module, or a host function, with one integer compare.
*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

typedef struct typeent
{
	uint32_t	hash;
	uint32_t	len;
	uint8_t    *key;
} typeent;

static pthread_mutex_t types_lock = PTHREAD_MUTEX_INITIALIZER;
static typeent *types_tab;
static uint32_t types_cap, types_n;

static uint32_t
hash_bytes(const uint8_t *p, size_t n)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static bool
types_grow(void)
{
	uint32_t	ncap = types_cap ? types_cap * 2 : 32;
	typeent    *nt = calloc(ncap, sizeof(typeent));

	if (nt == NULL)
		return false;
	for (uint32_t i = 0; i < types_cap; i++)
	{
		if (types_tab[i].key == NULL)
			continue;
		uint32_t	j = types_tab[i].hash & (ncap - 1);

		while (nt[j].key)
			j = (j + 1) & (ncap - 1);
		nt[j] = types_tab[i];
	}
	free(types_tab);
	types_tab = nt;
	types_cap = ncap;
	return true;
}

/*
** The id of 't': equal types, from any module, get the same id.  Ids
** count from 1 in the order types were first seen; a type's id is kept in
** the first four bytes of its key, so it survives rehashing.  0 and an
** error when out of memory.
*/
uint32_t
sf_typeid_get(const sf_functype *t, sf_error *err)
{
	size_t		len = 8 + (size_t) t->nparams + t->nresults;
	uint8_t    *key = malloc(len + 4);
	uint32_t	h, id = 0;

	if (key == NULL)
	{
		sf_error_set(err, SF_NOMEM, "out of memory");
		return 0;
	}
	memcpy(key + 4, &t->nparams, 4);
	memcpy(key + 8, &t->nresults, 4);
	for (uint32_t i = 0; i < t->nparams; i++)
		key[12 + i] = (uint8_t) t->params[i];
	for (uint32_t i = 0; i < t->nresults; i++)
		key[12 + t->nparams + i] = (uint8_t) t->results[i];
	h = hash_bytes(key + 4, len);
	pthread_mutex_lock(&types_lock);
	if ((types_n + 1) * 2 > types_cap && !types_grow())
		goto out;
	for (uint32_t j = h & (types_cap - 1);; j = (j + 1) & (types_cap - 1))
	{
		typeent    *e = &types_tab[j];

		if (e->key == NULL)
		{
			id = ++types_n;
			memcpy(key, &id, 4);
			e->key = key;
			e->hash = h;
			e->len = (uint32_t) len;
			key = NULL;
			break;
		}
		if (e->hash == h && e->len == len && memcmp(e->key + 4, key + 4, len) == 0)
		{
			memcpy(&id, e->key, 4);
			break;
		}
	}
out:
	pthread_mutex_unlock(&types_lock);
	free(key);
	if (id == 0)
		sf_error_set(err, SF_NOMEM, "out of memory");
	return id;
}

