/* spdx_fixture.h: SPDX license texts from ../shared/data for the license
 * tests. */
#ifndef CORPUSD_TESTS_CODEFILTER_SPDX_FIXTURE_H
#define CORPUSD_TESTS_CODEFILTER_SPDX_FIXTURE_H

/* The licenseText of spdx-license-list/licenses/ID.json (the caller frees
 * it; NULL when the file has none). Skips the test when ../shared/data or
 * the file is absent. */
char *test_spdx_text(const char *id);

#endif
