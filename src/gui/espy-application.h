/* espy-application.h
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define ESPY_TYPE_APPLICATION (espy_application_get_type ())

G_DECLARE_FINAL_TYPE (EspyApplication, espy_application, ESPY, APPLICATION, AdwApplication)

EspyApplication *espy_application_new            (void);
gboolean         espy_application_get_demo_mode  (EspyApplication *self);

G_END_DECLS
