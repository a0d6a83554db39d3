/* espy-reachability-prober.h: "does anything answer on this device's ports?"
 * A TCP connect, timed, then an immediate close: no protocol is spoken (a
 * device serves one OTA client at a time, so a probe must never hold it).
 * Probes beyond the concurrency limit wait in a queue.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  ESPY_PROBE_SERVICE_API,
  ESPY_PROBE_SERVICE_OTA,
  ESPY_PROBE_SERVICE_WEB,
} EspyProbeService;

typedef struct {
  EspyProbeService service;
  guint16          port;
} EspyProbeTarget;

#define ESPY_PROBE_DEFAULT_MAX_CONCURRENT 8
#define ESPY_PROBE_DEFAULT_TIMEOUT_MS     2000

#define ESPY_TYPE_REACHABILITY_PROBER (espy_reachability_prober_get_type ())
G_DECLARE_FINAL_TYPE (EspyReachabilityProber, espy_reachability_prober, ESPY, REACHABILITY_PROBER, GObject)

EspyReachabilityProber *espy_reachability_prober_new          (guint                    max_concurrent,
                                                               guint                    timeout_ms);
void                    espy_reachability_prober_set_timeout  (EspyReachabilityProber  *self,
                                                               guint                    timeout_ms);
/* Probes currently connecting (never more than max_concurrent). */
guint                   espy_reachability_prober_get_active   (EspyReachabilityProber  *self);

/* Tries TARGETS one after the other (each with the timeout) until one accepts
 * a connection. TARGETS is copied. */
void                    espy_reachability_prober_probe_async  (EspyReachabilityProber  *self,
                                                               const char              *host,
                                                               const EspyProbeTarget   *targets,
                                                               guint                    n_targets,
                                                               GCancellable            *cancellable,
                                                               GAsyncReadyCallback      callback,
                                                               gpointer                 user_data);
/* TRUE with the target that answered and its connect time; FALSE with the
 * error of the last attempt (G_IO_ERROR_TIMED_OUT when it timed out). */
gboolean                espy_reachability_prober_probe_finish (EspyReachabilityProber  *self,
                                                               GAsyncResult            *result,
                                                               EspyProbeTarget         *answered,
                                                               guint                   *connect_ms,
                                                               GError                 **error);

G_END_DECLS
