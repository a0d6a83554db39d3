/* espy-device-card.h: one device in the window's grid: name, status,
 * address, platform, firmware version, the last install's result and an
 * Install button that shows the progress of a running install.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "espy-device.h"
#include "espy-install-manager.h"

G_BEGIN_DECLS

#define ESPY_TYPE_DEVICE_CARD (espy_device_card_get_type ())

G_DECLARE_FINAL_TYPE (EspyDeviceCard, espy_device_card, ESPY, DEVICE_CARD, GtkWidget)

GtkWidget          *espy_device_card_new                 (void);

EspyDevice         *espy_device_card_get_device          (EspyDeviceCard     *self);
void                espy_device_card_set_device          (EspyDeviceCard     *self,
                                                          EspyDevice         *device);
EspyInstallManager *espy_device_card_get_install_manager (EspyDeviceCard     *self);
void                espy_device_card_set_install_manager (EspyDeviceCard     *self,
                                                          EspyInstallManager *manager);

G_END_DECLS
