/* espy-add-device-dialog.h: "Add Device by Address": a device mDNS does
 * not find (another network, a VLAN), by name or address, with optional
 * ports and the way to install firmware on it.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "espy-application.h"

G_BEGIN_DECLS

#define ESPY_TYPE_ADD_DEVICE_DIALOG (espy_add_device_dialog_get_type ())

G_DECLARE_FINAL_TYPE (EspyAddDeviceDialog, espy_add_device_dialog, ESPY, ADD_DEVICE_DIALOG, AdwMessageDialog)

GtkWidget *espy_add_device_dialog_new (GtkWindow       *parent,
                                       EspyApplication *application);

G_END_DECLS
