/* espy-demo.h: demo mode (`espy --demo`): simulated ESPHome devices on
 * loopback, fed to the store without mDNS, with firmware images to install
 * on them. Nothing of it is saved: passwords and devices live in memory,
 * images and configurations in a temporary folder removed on stop.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-device-store.h"

G_BEGIN_DECLS

/* Store keys of demo devices start with this. */
#define ESPY_DEMO_KEY_PREFIX "demo:"
/* The ESPHome version demo mode pretends is installed. */
#define ESPY_DEMO_ESPHOME_VERSION "2026.1.2"

#define ESPY_TYPE_DEMO (espy_demo_get_type ())
G_DECLARE_FINAL_TYPE (EspyDemo, espy_demo, ESPY, DEMO, GObject)

EspyDemo *espy_demo_new              (EspyDeviceStore      *store);

/* Starts the simulated devices and feeds them to the store. */
gboolean  espy_demo_start            (EspyDemo             *self,
                                      GError              **error);
/* Stops them, takes them out of the store and removes the temporary folder. */
void      espy_demo_stop             (EspyDemo             *self);

/* The demo firmware image for DEVICE, or NULL when it is not a demo device. */
GFile    *espy_demo_dup_firmware     (EspyDemo             *self,
                                      EspyDevice           *device);
/* DEVICE's OTA password, or NULL. */
char     *espy_demo_dup_password     (EspyDemo             *self,
                                      EspyDevice           *device);
/* A device added by address while in demo mode: in the store, not on disk. */
gboolean  espy_demo_add_device       (EspyDemo             *self,
                                      const EspyDeviceInfo *entry,
                                      GError              **error);

G_END_DECLS
