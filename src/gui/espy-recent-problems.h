/* espy-recent-problems.h: the "Recent problems" list: the newest failed
 * install attempts of every device (from EspyHistory), each with its
 * diagnosis in one line. Activating a row activates win.troubleshoot(s)
 * with the device name and emits ::attempt-activated.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "espy-history.h"

G_BEGIN_DECLS

/* Properties: "history" (EspyHistory), "limit" (guint, default 10).
 * Signals: ::attempt-activated (EspyInstallAttempt *attempt). */
#define ESPY_TYPE_RECENT_PROBLEMS (espy_recent_problems_get_type ())
G_DECLARE_FINAL_TYPE (EspyRecentProblems, espy_recent_problems, ESPY, RECENT_PROBLEMS, AdwBin)

GtkWidget   *espy_recent_problems_new         (EspyHistory        *history);
void         espy_recent_problems_set_history (EspyRecentProblems *self,
                                               EspyHistory        *history);
void         espy_recent_problems_set_limit   (EspyRecentProblems *self,
                                               guint               limit);
/* Rows shown (for tests). */
guint        espy_recent_problems_get_n_rows  (EspyRecentProblems *self);

G_END_DECLS
