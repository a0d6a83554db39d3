/* espy-secret-string.h: a string field that holds a secret (password, API
 * key, web credentials): replaced and cleared without leaving the old text
 * in freed memory. Freeing one on its own is espy_secret_free().
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Wipes and frees *@slot (NULL is fine) and leaves NULL there. */
void espy_secret_string_clear         (char       **slot);

/* Wipes the old *@slot and puts a copy of @value there; NULL clears. */
void espy_secret_string_set           (char       **slot,
                                       const char  *value);

/* As espy_secret_string_set(), but an empty @value clears too: for the
 * fields where "" means "no password". */
void espy_secret_string_set_non_empty (char       **slot,
                                       const char  *value);

G_END_DECLS
