/* espy-application.h: the application owns what outlives a window: the
 * device store and its sources (mDNS, the configuration folder, manual
 * entries, demo devices) and the installs.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "espy-config-folder.h"
#include "espy-demo.h"
#include "espy-device-store.h"
#include "espy-discovery.h"
#include "espy-history.h"
#include "espy-install-manager.h"
#include "espy-log-session.h"
#include "espy-manual-devices.h"

G_BEGIN_DECLS

#define ESPY_TYPE_APPLICATION (espy_application_get_type ())

/* Properties: "demo-mode" (gboolean), "config-folder" (EspyConfigFolder,
 * NULL while none is chosen). */
G_DECLARE_FINAL_TYPE (EspyApplication, espy_application, ESPY, APPLICATION, AdwApplication)

EspyApplication    *espy_application_new                     (void);
gboolean            espy_application_get_demo_mode           (EspyApplication  *self);
/* Before the first activation (tests; `--demo` does it from the command line). */
void                espy_application_set_demo_mode           (EspyApplication  *self,
                                                              gboolean          demo_mode);

/* NULL when the GSettings schema is not installed. */
GSettings          *espy_application_get_settings            (EspyApplication  *self);
EspyDeviceStore    *espy_application_get_device_store        (EspyApplication  *self);
EspyInstallManager *espy_application_get_install_manager     (EspyApplication  *self);
EspyManualDevices  *espy_application_get_manual_devices      (EspyApplication  *self);
/* NULL in demo mode and before the first activation. */
EspyDiscovery      *espy_application_get_discovery           (EspyApplication  *self);
EspyConfigFolder   *espy_application_get_config_folder       (EspyApplication  *self);
/* The simulated devices of demo mode; NULL otherwise. */
EspyDemo           *espy_application_get_demo                (EspyApplication  *self);
/* Every install attempt, read from and written to the user's data folder. */
EspyHistory        *espy_application_get_history             (EspyApplication  *self);

/* Makes FOLDER the configuration folder (saved in GSettings) and reads it;
 * its devices join the store. Fails when the folder cannot be listed, and
 * then the previous folder stays. */
void                espy_application_open_config_folder_async  (EspyApplication     *self,
                                                                GFile               *folder,
                                                                GCancellable        *cancellable,
                                                                GAsyncReadyCallback  callback,
                                                                gpointer             user_data);
gboolean            espy_application_open_config_folder_finish (EspyApplication     *self,
                                                                GAsyncResult        *result,
                                                                GError             **error);

/* A device added by name or address: saved in the manual devices (kept in
 * memory only in demo mode). */
gboolean            espy_application_add_device              (EspyApplication       *self,
                                                              const EspyDeviceInfo  *entry,
                                                              GError               **error);

/* Firmware Espy can install on DEVICE without asking for a file: the build
 * ESPHome left for its configuration (or the demo image). NULL if none. */
GFile              *espy_application_dup_firmware            (EspyApplication  *self,
                                                              EspyDevice       *device);
/* The OTA password Espy knows for DEVICE (its configuration's, or the demo
 * device's); NULL when none is known. Keep it in memory only. */
char               *espy_application_dup_ota_password        (EspyApplication  *self,
                                                              EspyDevice       *device);
/* Remembers SESSION (weakly, for as long as it exists): when an install for
 * its device (by node name) fails, the job records the session's last lines
 * in the history. The logs view calls this for the stream it opens. */
void                espy_application_watch_log_session       (EspyApplication  *self,
                                                              EspyLogSession   *session);
/* The install transport from the "default-transport" preference. */
EspyInstallTransport espy_application_get_default_transport  (EspyApplication  *self);

G_END_DECLS
