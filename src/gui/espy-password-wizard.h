/* espy-password-wizard.h: the OTA password wizard (issue 7): pick the flow,
 * check the current password, enter the new one twice, review the exact
 * diff and the devices affected, run with progress per device, see the
 * verification.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "espy-config-folder.h"
#include "espy-device.h"
#include "espy-device-config.h"
#include "espy-password-change.h"

G_BEGIN_DECLS

/* Properties: "device" (EspyDevice, construct-only, may be NULL),
 * "config" (EspyDeviceConfig, construct-only, may be NULL: then read from
 * the device's config path), "config-folder" (EspyConfigFolder, to find
 * devices sharing a password), "page" (read-only: "flow", "check",
 * "password", "review", "run", "result"). */
#define ESPY_TYPE_PASSWORD_WIZARD (espy_password_wizard_get_type ())
G_DECLARE_FINAL_TYPE (EspyPasswordWizard, espy_password_wizard, ESPY, PASSWORD_WIZARD, AdwWindow)

/* The device page's "Change password" row: a modal wizard over PARENT. */
GtkWindow          *espy_password_wizard_new            (GtkWindow          *parent,
                                                         EspyDevice         *device);
/* The same for a configuration (tests, the CLI-less folder view); HOST and
 * PORT (NULL / 0: the config's) say where the device is. */
EspyPasswordWizard *espy_password_wizard_new_for_config (GtkWindow          *parent,
                                                         EspyDeviceConfig   *config,
                                                         const char         *host,
                                                         guint16             port);
void                espy_password_wizard_set_config_folder (EspyPasswordWizard *self,
                                                         EspyConfigFolder   *folder);
const char         *espy_password_wizard_get_page       (EspyPasswordWizard *self);
/* The flow being prepared or run (NULL before the first page is left). */
EspyPasswordChange *espy_password_wizard_get_change     (EspyPasswordWizard *self);

G_END_DECLS
