/* espy-device-feeds.h: how each source of device facts reaches the store.
 * The GUI and the CLI both build their device list with these.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "espy-config-folder.h"
#include "espy-device-config.h"
#include "espy-device-info.h"
#include "espy-device-store.h"
#include "espy-discovery.h"
#include "espy-mdns-record.h"

G_BEGIN_DECLS

/* What an mDNS announcement says about a device. */
EspyDeviceInfo *espy_device_info_new_for_mdns_record   (const EspyMdnsRecord *record);
/* What a device YAML says about it (never its secrets). */
EspyDeviceInfo *espy_device_info_new_for_config        (EspyDeviceConfig     *config);

/* Keeps STORE's MDNS source in step with DISCOVERY (added, updated, removed,
 * and everything removed while the daemon is away). */
void            espy_device_store_follow_discovery     (EspyDeviceStore      *store,
                                                        EspyDiscovery        *discovery);
/* Keeps STORE's CONFIG source in step with FOLDER: one entry per device
 * file, keyed by its path. */
void            espy_device_store_follow_config_folder (EspyDeviceStore      *store,
                                                        EspyConfigFolder     *folder);

G_END_DECLS
