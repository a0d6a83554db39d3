/* espy-window.h: the main window: a grid of device cards with search and
 * filters, and the device page beside it (or above it when narrow).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "espy-application.h"

G_BEGIN_DECLS

#define ESPY_TYPE_WINDOW (espy_window_get_type ())

/* Properties: "search-mode" (gboolean), "filter" (string: "all", "online",
 * "offline", "updates", "failed"). Actions (on the class): win.add-device,
 * win.open-folder, win.search, win.filter(s), win.show-all, win.update-all,
 * win.install(s), win.show-device(s), win.back, win.close-device. */
G_DECLARE_FINAL_TYPE (EspyWindow, espy_window, ESPY, WINDOW, AdwApplicationWindow)

EspyWindow *espy_window_new                  (EspyApplication *application);

/* The devices the grid shows (after search and filter). */
GListModel *espy_window_get_visible_devices  (EspyWindow      *self);
void        espy_window_set_search_text      (EspyWindow      *self,
                                              const char      *text);
gboolean    espy_window_get_search_mode      (EspyWindow      *self);
/* Opens DEVICE's page (NULL closes it). */
void        espy_window_show_device          (EspyWindow      *self,
                                              EspyDevice      *device);
void        espy_window_add_toast            (EspyWindow      *self,
                                              const char      *title);

G_END_DECLS
