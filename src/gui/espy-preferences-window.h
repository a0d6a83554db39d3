/* espy-preferences-window.h: the preferences, bound to GSettings.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "espy-application.h"

G_BEGIN_DECLS

#define ESPY_TYPE_PREFERENCES_WINDOW (espy_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (EspyPreferencesWindow, espy_preferences_window, ESPY, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *espy_preferences_window_new (GtkWindow       *parent,
                                        EspyApplication *application);

G_END_DECLS
