/* espy-discovery.h: ESPHome devices announced via mDNS (Avahi). Browses
 * `_esphomelib._tcp` (and `_http._tcp` for the web server port) on every
 * interface and protocol and reports one EspyMdnsRecord per service
 * instance name, merged over the interfaces and protocols it was seen on.
 * Follows avahi-daemon going away and coming back. avahi-client's D-Bus
 * calls block, so they run on a private worker thread: the caller's main
 * loop never waits for the daemon.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-mdns-record.h"

G_BEGIN_DECLS

typedef enum {
  ESPY_DISCOVERY_STATE_STARTING,     /* not started, or talking to the daemon */
  ESPY_DISCOVERY_STATE_RUNNING,      /* browsing */
  ESPY_DISCOVERY_STATE_UNAVAILABLE,  /* no avahi-daemon (yet / any more): "message" says so */
} EspyDiscoveryState;

#define ESPY_TYPE_DISCOVERY_STATE (espy_discovery_state_get_type ())
GType espy_discovery_state_get_type (void) G_GNUC_CONST;

#define ESPY_MDNS_SERVICE_TYPE_ESPHOME "_esphomelib._tcp"
#define ESPY_MDNS_SERVICE_TYPE_HTTP    "_http._tcp"

/* Signals (emitted on the main context that was thread-default at
 * espy_discovery_start()):
 *   ::record-added   (EspyMdnsRecord *record)  a device appeared (resolved)
 *   ::record-updated (EspyMdnsRecord *record)  its record changed (a new record;
 *                                              records themselves never change)
 *   ::record-removed (const char *name)        its last copy is gone, or the
 *                                              daemon went away
 * Properties: "state" (EspyDiscoveryState), "message" (string: why mDNS is
 * not available, NULL while it is). */
#define ESPY_TYPE_DISCOVERY (espy_discovery_get_type ())
G_DECLARE_FINAL_TYPE (EspyDiscovery, espy_discovery, ESPY, DISCOVERY, GObject)

EspyDiscovery      *espy_discovery_new           (void);

/* Connects to avahi-daemon and browses; without a daemon the state becomes
 * UNAVAILABLE and discovery waits for one. Calling it twice does nothing. */
void                espy_discovery_start         (EspyDiscovery  *self);
/* Stops browsing and forgets every record (emitting ::record-removed). */
void                espy_discovery_stop          (EspyDiscovery  *self);

EspyDiscoveryState  espy_discovery_get_state     (EspyDiscovery  *self);
const char         *espy_discovery_get_message   (EspyDiscovery  *self);

/* The records currently known, sorted by name (new array, records ref'd). */
GPtrArray          *espy_discovery_dup_records   (EspyDiscovery  *self);
/* Not a new reference; NULL when NAME is not known. */
EspyMdnsRecord     *espy_discovery_lookup        (EspyDiscovery  *self,
                                                  const char     *name);

/* Resolves HOST_NAME (e.g. "name.local") to one address via Avahi, for the
 * troubleshooting checks. G_IO_ERROR_NOT_CONNECTED without a daemon,
 * G_IO_ERROR_NOT_FOUND / G_IO_ERROR_TIMED_OUT when nothing answers. */
void                espy_discovery_resolve_host_async  (EspyDiscovery        *self,
                                                        const char           *host_name,
                                                        GSocketFamily         family,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
char               *espy_discovery_resolve_host_finish (EspyDiscovery        *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

G_END_DECLS
