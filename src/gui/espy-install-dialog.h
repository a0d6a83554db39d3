/* espy-install-dialog.h: choose firmware, transport and password for one
 * device, then follow the install to its result. The install itself runs in
 * the application's EspyInstallManager: closing the dialog does not stop it.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "espy-config-folder.h"
#include "espy-device.h"
#include "espy-install-manager.h"

G_BEGIN_DECLS

/* Properties: "device" (construct-only), "install-manager", "config-folder"
 * (NULL: none), "job" (the install shown, NULL before Install), "page"
 * (read-only: "setup", "progress", "success", "failure"), "can-install"
 * (read-only). Actions (on the class): install.choose-file, install.start,
 * install.cancel, install.retry, install.troubleshoot,
 * install.change-web-credentials. */
#define ESPY_TYPE_INSTALL_DIALOG (espy_install_dialog_get_type ())
G_DECLARE_FINAL_TYPE (EspyInstallDialog, espy_install_dialog, ESPY, INSTALL_DIALOG, AdwWindow)

/* Modal over PARENT; the install manager, configuration folder, known
 * password, firmware and default transport come from PARENT's EspyApplication. */
GtkWidget      *espy_install_dialog_new           (GtkWindow            *parent,
                                                   EspyDevice           *device);
/* Opens on the progress (or result) of JOB, e.g. from a card's progress. */
GtkWidget      *espy_install_dialog_new_for_job   (GtkWindow            *parent,
                                                   EspyInstallJob       *job);
/* Without an application (tests). CONFIG_FOLDER may be NULL. */
GtkWidget      *espy_install_dialog_new_full      (GtkWindow            *parent,
                                                   EspyDevice           *device,
                                                   EspyInstallManager   *manager,
                                                   EspyConfigFolder     *config_folder);

/* As if FILE had been chosen: it is checked at once, and Install is enabled
 * when it is good firmware. */
void            espy_install_dialog_set_file      (EspyInstallDialog    *self,
                                                   GFile                *file);
/* A password Espy already knows (demo mode, keyring): used instead of
 * asking. Kept in memory only. */
void            espy_install_dialog_set_password  (EspyInstallDialog    *self,
                                                   const char           *password);
void            espy_install_dialog_set_transport (EspyInstallDialog    *self,
                                                   EspyInstallTransport  transport);

EspyDevice     *espy_install_dialog_get_device    (EspyInstallDialog    *self);
EspyInstallJob *espy_install_dialog_get_job       (EspyInstallDialog    *self);
const char     *espy_install_dialog_get_page      (EspyInstallDialog    *self);
gboolean        espy_install_dialog_get_can_install (EspyInstallDialog  *self);

G_END_DECLS
