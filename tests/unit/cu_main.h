/*
 * cu_main.h -- the main() of every CUnit test program.
 *
 * A test file defines `static const struct cu_test tests[]` ({NULL, NULL}
 * ended) and SUITE_NAME, then includes this file. The exit status counts
 * failures read before CU_cleanup_registry() (which resets them): CUnit's
 * own return code is 0 even when assertions fail.
 */
#ifndef CU_MAIN_H
#define CU_MAIN_H

#include <CUnit/Basic.h>
#include <stdio.h>

struct cu_test {
	const char *name;
	void (*fn)(void);
};

static int
cu_run(const char *suite_name, const struct cu_test *tests)
{
	CU_pSuite suite;
	unsigned fails;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite(suite_name, NULL, NULL);
	if (!suite)
		return 2;
	for (int i = 0; tests[i].name; i++)
		if (!CU_add_test(suite, tests[i].name, tests[i].fn))
			return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return fails ? 1 : 0;
}

#define CU_MAIN(suite_name, tests)                                             \
	int main(void)                                                         \
	{                                                                      \
		return cu_run(suite_name, tests);                              \
	}

#endif
