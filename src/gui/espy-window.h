/* espy-window.h
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "espy-application.h"

G_BEGIN_DECLS

#define ESPY_TYPE_WINDOW (espy_window_get_type ())

G_DECLARE_FINAL_TYPE (EspyWindow, espy_window, ESPY, WINDOW, AdwApplicationWindow)

EspyWindow *espy_window_new (EspyApplication *application);

G_END_DECLS
