/* espy-version.h: ESPHome version strings ("2025.10.1", "2025.10.0b3",
 * "2026.1.0-dev") and the version of the installed `esphome` compiler.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* TRUE when VERSION reads as an ESPHome version: YEAR.MONTH[.PATCH], optionally
 * followed by "bN", "rcN" or "-dev[N]" (a leading "v" is accepted). */
gboolean    espy_version_is_valid              (const char          *version);

/* strcmp-like order: 2026.1.0-dev < 2026.1.0b1 < 2026.1.0b3 < 2026.1.0 < 2026.1.1.
 * A missing PATCH is 0. Unparsable strings (and NULL) sort before every valid
 * version and among themselves by strcmp. */
int         espy_version_compare               (const char          *a,
                                                const char          *b);

/* The version out of `esphome version` output ("Version: 2026.1.2"), or NULL. */
char       *espy_version_parse_esphome_output  (const char          *output);

/* The command run for `esphome`: $ESPY_ESPHOME (split like a shell would,
 * so "python3 -m esphome" works) or "esphome". */
char      **espy_esphome_command_argv          (void);

/* Runs `esphome version` without blocking (GSubprocess). The result is the
 * version string; a missing command is G_IO_ERROR_NOT_FOUND, anything else
 * G_IO_ERROR_FAILED / G_IO_ERROR_TIMED_OUT, each with a message for users. */
void        espy_esphome_version_detect_async  (GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
char       *espy_esphome_version_detect_finish (GAsyncResult        *result,
                                                GError             **error);

G_END_DECLS
