/* espy-device-checks.h: the troubleshooting checks of one device, run
 * concurrently and each bounded in time: mDNS and DNS name resolution,
 * whether the address is on one of this computer's subnets, TCP connects to
 * the OTA, API and web ports, the OTA handshake up to authentication (no
 * upload), an API DeviceInfo, and when each source last saw the device.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-device.h"
#include "espy-discovery.h"

G_BEGIN_DECLS

/* In the order the results come back (and are shown). */
typedef enum {
  ESPY_CHECK_MDNS,           /* name.local via a fresh Avahi query */
  ESPY_CHECK_DNS,            /* the host name via the system resolver */
  ESPY_CHECK_SUBNET,         /* the address is on one of our subnets */
  ESPY_CHECK_OTA_PORT,       /* TCP connect to the OTA port */
  ESPY_CHECK_API_PORT,       /* TCP connect to the API port */
  ESPY_CHECK_WEB_PORT,       /* TCP connect to the web server port */
  ESPY_CHECK_OTA_HANDSHAKE,  /* OTA magic, version, features, auth */
  ESPY_CHECK_API_INFO,       /* API Hello + DeviceInfo */
  ESPY_CHECK_LAST_SEEN,      /* when each source last reported the device */
} EspyCheckId;
#define ESPY_N_CHECKS (ESPY_CHECK_LAST_SEEN + 1)

typedef enum {
  ESPY_CHECK_STATUS_PASS,
  ESPY_CHECK_STATUS_FAIL,
  ESPY_CHECK_STATUS_SKIPPED,
} EspyCheckStatus;

/* One check's outcome. Read the fields directly. */
typedef struct {
  EspyCheckId      id;
  EspyCheckStatus  status;
  char            *summary;       /* one translated line: what it found and what it means */
  guint            elapsed_ms;    /* how long the check took */
  char            *value;         /* an address, a version, ...; NULL when none */
  char            *error_domain;  /* as espy_install_error_domain_nick() names it, or "io" */
  char            *error_code;
} EspyCheckResult;

/* "mdns", "dns", "subnet", "ota-port", "api-port", "web-port",
 * "ota-handshake", "api-info", "last-seen" */
const char      *espy_check_id_to_nick        (EspyCheckId      id);
/* Translated title: "mDNS name", "OTA port", ... */
const char      *espy_check_id_describe       (EspyCheckId      id);
/* "pass", "fail", "skipped" */
const char      *espy_check_status_to_nick    (EspyCheckStatus  status);

EspyCheckResult *espy_check_result_new        (EspyCheckId      id,
                                               EspyCheckStatus  status,
                                               const char      *summary);
void             espy_check_result_free       (EspyCheckResult *result);
/* NULL when RESULTS (EspyCheckResult *) has no result for ID. */
const EspyCheckResult *espy_check_results_find (GPtrArray      *results,
                                                EspyCheckId     id);
/* Whether ADDRESS (an IPv4 / IPv6 literal) is on one of this computer's
 * subnets (loopback counts). *IFACE gets the interface name when it is. */
gboolean         espy_address_is_local_subnet (const char      *address,
                                               char           **iface);

#define ESPY_DEVICE_CHECKS_DEFAULT_TIMEOUT_MS 5000

/* Properties (all construct-only or set before run):
 *   host, ota-port, api-port, web-port (0 = skip that port), timeout-ms. */
#define ESPY_TYPE_DEVICE_CHECKS (espy_device_checks_get_type ())
G_DECLARE_FINAL_TYPE (EspyDeviceChecks, espy_device_checks, ESPY, DEVICE_CHECKS, GObject)

/* HOST: a name ("kitchen", "kitchen.local", "kitchen.example.org") or an
 * address. Ports 0: OTA 3232, API 6053, web skipped. */
EspyDeviceChecks *espy_device_checks_new             (const char          *host,
                                                      guint16              ota_port,
                                                      guint16              api_port,
                                                      guint16              web_port);
/* Host and ports from DEVICE, and the last-seen check from its sources. */
EspyDeviceChecks *espy_device_checks_new_for_device  (EspyDevice          *device);
/* The OTA password for the handshake check (kept in memory only; NULL: the
 * check stops when the device asks for one, and says so). */
void              espy_device_checks_set_ota_password (EspyDeviceChecks   *self,
                                                      const char          *password);
/* The API encryption key (base64) for the DeviceInfo check. */
void              espy_device_checks_set_api_key     (EspyDeviceChecks    *self,
                                                      const char          *key);
/* The app's running discovery; without one the mDNS check starts its own. */
void              espy_device_checks_set_discovery   (EspyDeviceChecks    *self,
                                                      EspyDiscovery       *discovery);
/* Bound of every single check (default ESPY_DEVICE_CHECKS_DEFAULT_TIMEOUT_MS). */
void              espy_device_checks_set_timeout     (EspyDeviceChecks    *self,
                                                      guint                timeout_ms);
const char       *espy_device_checks_get_host        (EspyDeviceChecks    *self);

/* Runs every check at once. Never fails except on cancellation: a check
 * that fails is a result. ::check-finished (EspyCheckResult *) is emitted
 * for each as it ends. */
void              espy_device_checks_run_async       (EspyDeviceChecks    *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
/* ESPY_N_CHECKS EspyCheckResult, in EspyCheckId order (new reference). */
GPtrArray        *espy_device_checks_run_finish      (EspyDeviceChecks    *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

G_END_DECLS
