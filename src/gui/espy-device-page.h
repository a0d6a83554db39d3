/* espy-device-page.h: everything Espy knows about one device, and what can
 * be done with it (install, logs, password, troubleshooting, web UI,
 * forgetting a device added by address).
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "espy-device-store.h"
#include "espy-manual-devices.h"

G_BEGIN_DECLS

/* Properties: "device" (EspyDevice, NULL shows nothing), "device-store" and
 * "manual-devices" (NULL: the EspyApplication's, looked up when needed).
 * Actions (on the class): page.install, page.visit-web, page.forget. Install
 * goes through win.install(s) when the window has it. */
#define ESPY_TYPE_DEVICE_PAGE (espy_device_page_get_type ())
G_DECLARE_FINAL_TYPE (EspyDevicePage, espy_device_page, ESPY, DEVICE_PAGE, AdwBin)

GtkWidget  *espy_device_page_new        (void);
EspyDevice *espy_device_page_get_device (EspyDevicePage *self);
void        espy_device_page_set_device (EspyDevicePage *self,
                                         EspyDevice     *device);

G_END_DECLS
