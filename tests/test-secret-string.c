/* test-secret-string.c: secret string fields (set, replace, clear).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-secret-string.h"

static void
test_set (void)
{
  char *slot = NULL;
  const char *given = "hunter2";

  espy_secret_string_set (&slot, given);
  g_assert_cmpstr (slot, ==, "hunter2");
  g_assert_true (slot != given);  /* a copy */
  espy_secret_string_set (&slot, "other");
  g_assert_cmpstr (slot, ==, "other");
  /* Empty stays empty: only the _non_empty variant drops it. */
  espy_secret_string_set (&slot, "");
  g_assert_cmpstr (slot, ==, "");
  espy_secret_string_set (&slot, NULL);
  g_assert_null (slot);
}

static void
test_set_self (void)
{
  char *slot = g_strdup ("same");

  /* The old value is wiped only after the copy is taken. */
  espy_secret_string_set (&slot, slot);
  g_assert_cmpstr (slot, ==, "same");
  espy_secret_string_set_non_empty (&slot, slot);
  g_assert_cmpstr (slot, ==, "same");
  espy_secret_string_clear (&slot);
  g_assert_null (slot);
}

static void
test_set_non_empty (void)
{
  char *slot = NULL;

  espy_secret_string_set_non_empty (&slot, "pw");
  g_assert_cmpstr (slot, ==, "pw");
  espy_secret_string_set_non_empty (&slot, "");
  g_assert_null (slot);
  espy_secret_string_set_non_empty (&slot, "pw");
  espy_secret_string_set_non_empty (&slot, NULL);
  g_assert_null (slot);
}

static void
test_clear (void)
{
  char *slot = NULL;

  espy_secret_string_clear (&slot);  /* NULL is fine */
  g_assert_null (slot);
  slot = g_strdup ("secret");
  espy_secret_string_clear (&slot);
  g_assert_null (slot);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/secret-string/set", test_set);
  g_test_add_func ("/secret-string/set-self", test_set_self);
  g_test_add_func ("/secret-string/set-non-empty", test_set_non_empty);
  g_test_add_func ("/secret-string/clear", test_clear);

  return g_test_run ();
}
