/* espy-device-private.h: what EspyDeviceStore uses to build and update
 * devices. Not for front ends.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "espy-device.h"

G_BEGIN_DECLS

/* What one source said under one key (e.g. an mDNS service on one interface). */
typedef struct {
  EspyDeviceSource  source;
  char             *key;
  EspyDeviceInfo   *info;        /* owned, never modified */
  gint64            seen_mono;
  gint64            seen_wall;
} EspyDeviceRecord;

EspyDeviceRecord *espy_device_record_new  (EspyDeviceSource  source,
                                           const char       *key,
                                           EspyDeviceInfo   *info);
void              espy_device_record_free (EspyDeviceRecord *record);

/* Probe bookkeeping, kept on the device and run by the store. */
typedef struct {
  gboolean         ok;           /* the last probe found an open port */
  gboolean         failed;       /* the last probe found none */
  EspyProbeTarget  answered;
  guint            connect_ms;
  gboolean         running;
  gint64           started_mono; /* 0 = never probed */
  GCancellable    *cancellable;
} EspyDeviceProbe;

EspyDevice       *espy_device_new                 (const char  *name,
                                                   const char  *mac);
/* The device's identity MAC (NULL for a device known by name only). */
const char       *espy_device_get_identity_mac    (EspyDevice  *self);
void              espy_device_set_identity_mac    (EspyDevice  *self,
                                                   const char  *mac);
/* Lowercase name: devices with the same key are grouped by MAC. */
const char       *espy_device_get_name_key        (EspyDevice  *self);
/* EspyDeviceRecord*, owned by the device. */
GPtrArray        *espy_device_get_records         (EspyDevice  *self);
/* Takes every record out (the array frees them). */
GPtrArray        *espy_device_steal_records       (EspyDevice  *self);
void              espy_device_add_record          (EspyDevice  *self,
                                                   EspyDeviceRecord *record);
void              espy_device_set_show_mac        (EspyDevice  *self,
                                                   gboolean     show_mac);
void              espy_device_set_esphome_version (EspyDevice  *self,
                                                   const char  *version);
EspyDeviceProbe  *espy_device_get_probe           (EspyDevice  *self);
/* TRUE when mDNS or the API currently sees the device (no probe needed). */
gboolean          espy_device_is_seen_passively   (EspyDevice  *self);
/* Recomputes every merged property and notifies the ones that changed.
 * TRUE when any changed. */
gboolean          espy_device_refresh             (EspyDevice  *self);
/* Collation key of the display name, for sorting. */
const char       *espy_device_get_sort_key        (EspyDevice  *self);

G_END_DECLS
