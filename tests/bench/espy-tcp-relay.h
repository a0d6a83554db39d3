/* espy-tcp-relay.h: a loopback TCP relay that adds a fixed one-way delay
 * (and optionally a bandwidth limit) in each direction, so benchmarks can
 * measure the OTA client against a link with a real round-trip time.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ESPY_TCP_RELAY_DEFAULT_DELAY_MS 10

/* It models latency, not loss of throughput: bytes read at time t are written
 * at t + delay, so a pipelined sender gets more done per round trip than a
 * stop-and-wait one. Each accepted connection gets its own connection to the
 * target; EOF and closes propagate (after the delay). The relay runs in its
 * own threads and never needs the caller's main loop. */
#define ESPY_TYPE_TCP_RELAY (espy_tcp_relay_get_type ())
G_DECLARE_FINAL_TYPE (EspyTcpRelay, espy_tcp_relay, ESPY, TCP_RELAY, GObject)

EspyTcpRelay *espy_tcp_relay_new                  (const char    *target_host,
                                                   guint16        target_port,
                                                   guint          delay_ms);
/* Bytes per second per direction, 0 = no limit (the default). Applies to
 * connections accepted afterwards. */
void          espy_tcp_relay_set_rate_limit       (EspyTcpRelay  *self,
                                                   guint64        bytes_per_s);
/* Listens on 127.0.0.1 on a free port. */
gboolean      espy_tcp_relay_start                (EspyTcpRelay  *self,
                                                   GError       **error);
/* The listening port, 0 before start. */
guint16       espy_tcp_relay_get_port             (EspyTcpRelay  *self);
/* Closes the listener and every relayed connection, and waits for the
 * relay's threads. Also done on finalize. */
void          espy_tcp_relay_stop                 (EspyTcpRelay  *self);

/* Connections accepted since start. */
guint         espy_tcp_relay_get_connection_count (EspyTcpRelay  *self);

G_END_DECLS
