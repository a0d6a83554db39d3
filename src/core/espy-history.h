/* espy-history.h: every install attempt, kept in
 * $XDG_DATA_HOME/espy/history.json (json-glib; atomic writes; the newest
 * ESPY_HISTORY_DEFAULT_MAX attempts), for the troubleshooting page, the
 * "Recent problems" list and `espy-cli history`.
 *
 * Secrets never reach the file: attempts hold none by construction, and
 * every free text (error messages, log lines) is passed through
 * espy_report_redact() before it is stored.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-install-attempt.h"

G_BEGIN_DECLS

#define ESPY_HISTORY_DEFAULT_MAX 500
#define ESPY_HISTORY_FORMAT_VERSION 1

/* Signals:
 *   ::changed ()  an attempt was added, or the file was (re)loaded.
 * Properties: "path" (construct-only), "max-attempts". */
#define ESPY_TYPE_HISTORY (espy_history_get_type ())
G_DECLARE_FINAL_TYPE (EspyHistory, espy_history, ESPY, HISTORY, GObject)

/* PATH NULL: the default file (espy_history_default_path ()). Nothing is
 * read until espy_history_load*(). */
EspyHistory        *espy_history_new                  (const char          *path);
char               *espy_history_default_path         (void);
const char         *espy_history_get_path             (EspyHistory         *self);

void                espy_history_set_max_attempts     (EspyHistory         *self,
                                                       guint                max_attempts);
guint               espy_history_get_max_attempts     (EspyHistory         *self);

/* Reads the file. A missing file is an empty history. A corrupt one is
 * moved aside to PATH.corrupt-<time>, a warning is logged and returned by
 * espy_history_get_load_warning(), and the history starts empty: TRUE.
 * FALSE only when the file exists but cannot be read. */
gboolean            espy_history_load                 (EspyHistory         *self,
                                                       GError             **error);
/* The same in a worker thread, for the application's start. */
void                espy_history_load_async           (EspyHistory         *self,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gboolean            espy_history_load_finish          (EspyHistory         *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* Why the last load started empty (a corrupt file), or NULL. */
const char         *espy_history_get_load_warning     (EspyHistory         *self);

/* Records a copy of ATTEMPT (redacted) with the device's LOG_LINES around
 * the failure (may be NULL), drops the oldest beyond max-attempts, and
 * writes the file in a worker thread (temp file + rename). */
void                espy_history_add                  (EspyHistory         *self,
                                                       const EspyInstallAttempt *attempt,
                                                       const char * const  *log_lines);
/* Writes the file now, blocking (CLI, tests, shutdown). */
gboolean            espy_history_save                 (EspyHistory         *self,
                                                       GError             **error);

guint               espy_history_get_n_attempts       (EspyHistory         *self);
/* Attempts (EspyInstallAttempt *, new references), newest first; for one
 * device (by node name, any case) or all when DEVICE is NULL. LIMIT 0 = all. */
GPtrArray          *espy_history_list                 (EspyHistory         *self,
                                                       const char          *device,
                                                       guint                limit);
/* "Recent problems": failed attempts only, newest first. */
GPtrArray          *espy_history_list_problems        (EspyHistory         *self,
                                                       const char          *device,
                                                       guint                limit);
/* Newest attempt of DEVICE, failed ones only when FAILED_ONLY (new ref or NULL). */
EspyInstallAttempt *espy_history_get_last             (EspyHistory         *self,
                                                       const char          *device,
                                                       gboolean             failed_only);
/* The log lines recorded with ATTEMPT (one returned by this history), or NULL. */
const char * const *espy_history_get_log_lines        (EspyHistory         *self,
                                                       const EspyInstallAttempt *attempt);

G_END_DECLS
