/* espy-logs-view.h: a device's live logs: coloured, filtered, searchable,
 * following the newest line until the user scrolls up, bounded in memory.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "espy-device.h"
#include "espy-log-buffer.h"
#include "espy-log-session.h"

G_BEGIN_DECLS

/* Properties: "session" (EspyLogSession, construct-only), "buffer"
 * (EspyLogBuffer, read-only), "following" (gboolean: the view sticks to the
 * newest line), "timestamps" and "reveal-secrets" (gboolean).
 * Actions (on the class): logs.copy, logs.save, logs.clear,
 * logs.jump-to-bottom, logs.search-next, logs.search-previous, logs.retry,
 * logs.enter-key, logs.timestamps, logs.reveal-secrets.
 * The session runs while the view is mapped; the buffer stays in between. */
#define ESPY_TYPE_LOGS_VIEW (espy_logs_view_get_type ())
G_DECLARE_FINAL_TYPE (EspyLogsView, espy_logs_view, ESPY, LOGS_VIEW, AdwBin)

/* The view of DEVICE: its YAML (API key, web server) and the install
 * manager come from the EspyApplication, the buffer size from the
 * "log-buffer-lines" setting, when there is one. */
GtkWidget      *espy_logs_view_new             (EspyDevice      *device);
/* A view of SESSION as it is configured (tests, demo mode). MAX_LINES 0 =
 * the default. */
GtkWidget      *espy_logs_view_new_for_session (EspyLogSession  *session,
                                                guint            max_lines);

EspyLogSession *espy_logs_view_get_session     (EspyLogsView    *self);
EspyLogBuffer  *espy_logs_view_get_buffer      (EspyLogsView    *self);
GtkTextView    *espy_logs_view_get_text_view   (EspyLogsView    *self);
gboolean        espy_logs_view_get_following   (EspyLogsView    *self);
void            espy_logs_view_set_timestamps  (EspyLogsView    *self,
                                                gboolean         timestamps);
void            espy_logs_view_set_reveal_secrets (EspyLogsView *self,
                                                   gboolean      reveal);
/* The level filter: lines up to LEVEL are shown (the dropdown follows). */
void            espy_logs_view_set_max_level   (EspyLogsView    *self,
                                                EspyLogLevel     level);
/* Highlights TEXT (the search entry follows); returns the matches. */
guint           espy_logs_view_search          (EspyLogsView    *self,
                                                const char      *text);

G_END_DECLS
