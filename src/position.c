/*
 * position.c -- LSN text form (position.h).
 */
#include <inttypes.h>
#include <stdio.h>

#include "position.h"

void
rc_lsn_format(uint64_t lsn, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIX32 "/%" PRIX32, (uint32_t)(lsn >> 32),
		 (uint32_t)lsn);
}

int
rc_lsn_parse(const char *s, uint64_t *lsn)
{
	unsigned int hi, lo;
	int n = 0;

	if (sscanf(s, "%8X/%8X%n", &hi, &lo, &n) != 2 || s[n] != '\0')
		return -1;
	*lsn = ((uint64_t)hi << 32) | lo;
	return 0;
}
