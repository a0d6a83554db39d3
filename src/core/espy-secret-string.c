/* espy-secret-string.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-secret-string.h"

#include "espy-secrets.h"

void
espy_secret_string_clear (char **slot)
{
  g_return_if_fail (slot != NULL);

  /* espy_secret_free() wipes before freeing: one wipe for the whole tree. */
  espy_secret_free (g_steal_pointer (slot));
}

void
espy_secret_string_set (char       **slot,
                        const char  *value)
{
  char *copy;

  g_return_if_fail (slot != NULL);

  /* Copied first: @value may be the old *@slot itself. */
  copy = g_strdup (value);
  espy_secret_string_clear (slot);
  *slot = copy;
}

void
espy_secret_string_set_non_empty (char       **slot,
                                  const char  *value)
{
  espy_secret_string_set (slot, value != NULL && *value != '\0' ? value : NULL);
}
