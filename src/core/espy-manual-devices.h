/* espy-manual-devices.h: devices the user added by name or address (mDNS
 * does not cross VLANs), kept as JSON in
 * $XDG_DATA_HOME/espy/manual-devices.json and written atomically.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-device-info.h"

G_BEGIN_DECLS

#define ESPY_MANUAL_DEVICES_ERROR (espy_manual_devices_error_quark ())

typedef enum {
  ESPY_MANUAL_DEVICES_ERROR_CORRUPT,   /* the file is not a list Espy wrote; kept as .bad */
  ESPY_MANUAL_DEVICES_ERROR_INVALID,   /* an entry without a usable name or address */
  ESPY_MANUAL_DEVICES_ERROR_WRITE,     /* the file could not be written */
  ESPY_MANUAL_DEVICES_ERROR_NOT_FOUND, /* no entry with that key */
} EspyManualDevicesError;

GQuark espy_manual_devices_error_quark (void);

/* Signals:
 *   ::changed ()   after every successful load, add and remove */
#define ESPY_TYPE_MANUAL_DEVICES (espy_manual_devices_get_type ())
G_DECLARE_FINAL_TYPE (EspyManualDevices, espy_manual_devices, ESPY, MANUAL_DEVICES, GObject)

/* PATH NULL: g_get_user_data_dir()/espy/manual-devices.json. Nothing is read
 * until espy_manual_devices_load(). */
EspyManualDevices *espy_manual_devices_new         (const char             *path);
const char        *espy_manual_devices_get_path    (EspyManualDevices      *self);

/* A missing file is an empty list. A file that cannot be read as one is
 * renamed to PATH.bad (its bytes untouched), the list stays empty and a
 * CORRUPT error says where the old file went. */
gboolean           espy_manual_devices_load        (EspyManualDevices      *self,
                                                    GError                **error);

/* The entries (EspyDeviceInfo*: name and/or host, ports, ota_transport),
 * in the order they were added. Owned by SELF. */
GPtrArray         *espy_manual_devices_get_entries (EspyManualDevices      *self);

/* Adds ENTRY (copied: name, host, api/ota/web ports, ota_transport), or
 * replaces the entry with the same key, and saves. On error nothing changes. */
gboolean           espy_manual_devices_add         (EspyManualDevices      *self,
                                                    const EspyDeviceInfo   *entry,
                                                    GError                **error);
gboolean           espy_manual_devices_remove      (EspyManualDevices      *self,
                                                    const char             *key,
                                                    GError                **error);

/* The key of an entry (its lowercase name, else its host): the source key
 * the store uses for it. NULL when the entry has neither. */
char              *espy_manual_devices_entry_key   (const EspyDeviceInfo   *entry);

G_END_DECLS
