/* espy-device-store.h: every known ESPHome device, one EspyDevice per node
 * name (and MAC), as a GListModel sorted by display name. Each source feeds
 * it with espy_device_store_update() / _remove() under keys of its own;
 * the store merges, probes devices mDNS does not see, and compares their
 * versions with the installed `esphome`.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-device.h"
#include "espy-manual-devices.h"

G_BEGIN_DECLS

#define ESPY_DEVICE_STORE_DEFAULT_PROBE_INTERVAL_MS 30000

/* Signals:
 *   ::device-changed (EspyDevice *device)  after any of its facts changed
 *                                           (not for a device just added)
 * Properties: "esphome-version" (string, NULL while unknown). */
#define ESPY_TYPE_DEVICE_STORE (espy_device_store_get_type ())
G_DECLARE_FINAL_TYPE (EspyDeviceStore, espy_device_store, ESPY, DEVICE_STORE, GObject)

EspyDeviceStore *espy_device_store_new                    (void);

/* What SOURCE says, under SOURCE_KEY (an mDNS instance + interface +
 * protocol, a config file path, ...), about one device. INFO is copied; it
 * needs a name, or at least a host or address. Replaces the previous info
 * of the same key (which may have named another device). */
gboolean         espy_device_store_update                 (EspyDeviceStore       *self,
                                                           EspyDeviceSource       source,
                                                           const char            *source_key,
                                                           const EspyDeviceInfo  *info);
/* FALSE (and nothing happens) when the key is unknown, e.g. a second
 * removal. A device whose last source is gone leaves the list. */
gboolean         espy_device_store_remove                 (EspyDeviceStore       *self,
                                                           EspyDeviceSource       source,
                                                           const char            *source_key);
/* Removes every key of SOURCE (a config folder closed, Avahi restarted). */
void             espy_device_store_remove_source          (EspyDeviceStore       *self,
                                                           EspyDeviceSource       source);

/* By node name (any case). With several devices of that name, the one
 * whose MAC is MAC (NULL: the first in list order). Not a new reference. */
EspyDevice      *espy_device_store_lookup                 (EspyDeviceStore       *self,
                                                           const char            *name);
EspyDevice      *espy_device_store_lookup_full            (EspyDeviceStore       *self,
                                                           const char            *name,
                                                           const char            *mac);

/* Feeds MANUAL's entries (source MANUAL, key = entry key) and follows its
 * ::changed. NULL detaches. */
void             espy_device_store_set_manual_devices     (EspyDeviceStore       *self,
                                                           EspyManualDevices     *manual);

/* Probing of devices neither mDNS nor the API sees: each device at most
 * every INTERVAL_MS (0 stops probing), MAX_CONCURRENT at once, TIMEOUT_MS
 * per port. Defaults: 30 s, 8, 2 s. */
void             espy_device_store_set_probe_interval     (EspyDeviceStore       *self,
                                                           guint                  interval_ms);
void             espy_device_store_set_probe_limits       (EspyDeviceStore       *self,
                                                           guint                  max_concurrent,
                                                           guint                  timeout_ms);
/* Probe DEVICE as soon as a slot is free (the "Check again" button). */
void             espy_device_store_probe_now              (EspyDeviceStore       *self,
                                                           EspyDevice            *device);

/* The installed ESPHome compiler's version: NULL while unknown (then no
 * device shows an update). */
const char      *espy_device_store_get_esphome_version    (EspyDeviceStore       *self);
void             espy_device_store_set_esphome_version    (EspyDeviceStore       *self,
                                                           const char            *version);
/* Runs `esphome version` ($ESPY_ESPHOME) in the background and sets
 * "esphome-version" from it (to NULL when it is missing or fails). */
void             espy_device_store_detect_esphome_version (EspyDeviceStore       *self);
/* Why the last detection found no version ("ESPHome is not installed ..."), or NULL. */
const char      *espy_device_store_get_esphome_error      (EspyDeviceStore       *self);

G_END_DECLS
