/* espy-device.h: one ESPHome device as the user sees it, merged from what
 * every source (mDNS, configs, manual entries, the native API, port probes)
 * says about it. Devices are made and updated by EspyDeviceStore only; every
 * property notifies (explicitly, only on change) for bindings.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "espy-device-info.h"
#include "espy-reachability-prober.h"

G_BEGIN_DECLS

#define ESPY_TYPE_DEVICE (espy_device_get_type ())
G_DECLARE_FINAL_TYPE (EspyDevice, espy_device, ESPY, DEVICE, GObject)

/* ESPHome node name (or the address of a manual entry that has no name). */
const char          *espy_device_get_name              (EspyDevice        *self);
const char          *espy_device_get_friendly_name     (EspyDevice        *self);
/* Friendly name or name, with " (ac:bc:…)" when another device has the same name. */
const char          *espy_device_get_display_name      (EspyDevice        *self);
/* 12 lowercase hex digits, or NULL. */
const char          *espy_device_get_mac               (EspyDevice        *self);
/* Where to connect: a manual entry's address, else an mDNS IPv4 address,
 * else an mDNS IPv6 address, else the config's use_address / manual_ip,
 * else name.local. Never NULL. */
const char          *espy_device_get_address           (EspyDevice        *self);
const char          *espy_device_get_platform          (EspyDevice        *self);
const char          *espy_device_get_board             (EspyDevice        *self);
/* ESPHome version running on the device, or NULL. */
const char          *espy_device_get_version           (EspyDevice        *self);
const char          *espy_device_get_network           (EspyDevice        *self);
/* 6053 unless a source says otherwise. */
guint16              espy_device_get_api_port          (EspyDevice        *self);
/* From the config, a manual entry, or the platform's default. */
guint16              espy_device_get_ota_port          (EspyDevice        *self);
/* 0 when no source knows of a web server. */
guint16              espy_device_get_web_port          (EspyDevice        *self);
EspyTristate         espy_device_get_api_encryption    (EspyDevice        *self);
EspyDeviceTransport  espy_device_get_ota_transport     (EspyDevice        *self);
const char          *espy_device_get_config_path       (EspyDevice        *self);

/* Announced via mDNS, connected via the API, or answering a probe. */
gboolean             espy_device_get_online            (EspyDevice        *self);
/* One line: "Seen via mDNS 3 s ago", "Answers on the OTA port (12 ms)",
 * "Not seen since 14:02". Refreshed by the store about once a second. */
const char          *espy_device_get_reachability      (EspyDevice        *self);
/* Wall-clock time (µs since the epoch) the device was last online; 0 = never. */
gint64               espy_device_get_last_online       (EspyDevice        *self);
EspyDeviceSources    espy_device_get_sources           (EspyDevice        *self);
gboolean             espy_device_get_update_available  (EspyDevice        *self);
/* Why an update is offered, one reason per line; NULL when none. */
const char          *espy_device_get_update_reason     (EspyDevice        *self);

/* Every merged fact in one snapshot (address in host, ports with defaults). */
EspyDeviceInfo      *espy_device_dup_info              (EspyDevice        *self);
/* What SOURCE said most recently (NULL when it says nothing). For PROBE:
 * NULL; see espy_device_get_probe_result(). */
EspyDeviceInfo      *espy_device_dup_source_info       (EspyDevice        *self,
                                                        EspyDeviceSource   source);
/* When SOURCE last reported the device (monotonic and wall-clock µs);
 * FALSE when it never did. */
gboolean             espy_device_get_last_seen         (EspyDevice        *self,
                                                        EspyDeviceSource   source,
                                                        gint64            *monotonic_us,
                                                        gint64            *wall_us);
/* The last successful probe: which port answered, how fast. FALSE when the
 * last probe failed or none ran. */
gboolean             espy_device_get_probe_result      (EspyDevice        *self,
                                                        EspyProbeTarget   *answered,
                                                        guint             *connect_ms);

G_END_DECLS
