/* espy-install-job.h: one firmware install on one device, as an explicit
 * state machine (in the manner of gnome-software's GsApp states): check the
 * image, upload it, wait for the device to reboot, verify it came back.
 * Front ends (window, card, dialog, CLI) only watch its properties.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-device.h"
#include "espy-firmware-image.h"
#include "espy-ota-client.h"

G_BEGIN_DECLS

/* The states in the order a successful job passes them. SUCCEEDED, FAILED
 * and CANCELLED are final. */
typedef enum {
  ESPY_INSTALL_STATE_PENDING,     /* created or queued, not started */
  ESPY_INSTALL_STATE_PREPARING,   /* checking the image (later: building it) */
  ESPY_INSTALL_STATE_CONNECTING,  /* connect, handshake, password */
  ESPY_INSTALL_STATE_UPLOADING,   /* erase, data, the device's own check */
  ESPY_INSTALL_STATE_REBOOTING,   /* waiting for the device to come back */
  ESPY_INSTALL_STATE_VERIFYING,   /* is it running the new build? */
  ESPY_INSTALL_STATE_SUCCEEDED,
  ESPY_INSTALL_STATE_FAILED,
  ESPY_INSTALL_STATE_CANCELLED,
} EspyInstallState;

/* How the image gets to the device. */
typedef enum {
  ESPY_INSTALL_TRANSPORT_AUTO,  /* what the device says (its ota_transport), else native OTA */
  ESPY_INSTALL_TRANSPORT_OTA,   /* ESPHome's native OTA */
  ESPY_INSTALL_TRANSPORT_WEB,   /* the web server's /update */
} EspyInstallTransport;

#define ESPY_INSTALL_ERROR (espy_install_error_quark ())

/* Failures of the job itself; OTA and image failures keep their own
 * domains (ESPY_OTA_ERROR, ESPY_FIRMWARE_ERROR), cancellation is
 * G_IO_ERROR_CANCELLED. */
typedef enum {
  ESPY_INSTALL_ERROR_BUSY,              /* another install runs for this device */
  ESPY_INSTALL_ERROR_NO_IMAGE,          /* nothing to install */
  ESPY_INSTALL_ERROR_WEB_UNAVAILABLE,   /* web server transport not available yet */
  ESPY_INSTALL_ERROR_NOT_BACK,          /* the device did not come back after the reboot */
  ESPY_INSTALL_ERROR_OLD_FIRMWARE,      /* back, but still on the old build (issue 6) */
} EspyInstallError;

#define ESPY_INSTALL_DEFAULT_REBOOT_TIMEOUT_MS 60000
#define ESPY_INSTALL_DEFAULT_VERIFY_TIMEOUT_MS 5000

#define ESPY_TYPE_INSTALL_STATE     (espy_install_state_get_type ())
#define ESPY_TYPE_INSTALL_TRANSPORT (espy_install_transport_get_type ())
GType        espy_install_state_get_type      (void) G_GNUC_CONST;
GType        espy_install_transport_get_type  (void) G_GNUC_CONST;
GQuark       espy_install_error_quark         (void);

/* "pending", "preparing", "connecting", "uploading", "rebooting",
 * "verifying", "succeeded", "failed", "cancelled". */
const char  *espy_install_state_to_nick       (EspyInstallState state);
/* Translated title: "Waiting", "Checking the firmware", "Connecting",
 * "Uploading", "Restarting", "Verifying", "Installed", "Failed", "Cancelled". */
const char  *espy_install_state_describe      (EspyInstallState state);
/* SUCCEEDED, FAILED or CANCELLED. */
gboolean     espy_install_state_is_final      (EspyInstallState state);
/* Neither PENDING nor final. */
gboolean     espy_install_state_is_active     (EspyInstallState state);
/* "auto", "ota", "web" */
const char  *espy_install_transport_to_nick   (EspyInstallTransport transport);
/* FALSE for a transport this build cannot use yet (WEB until the web
 * server client lands): front ends show it as "Coming soon". */
gboolean     espy_install_transport_is_available (EspyInstallTransport transport);

/* Properties (all read-only unless noted; every one notifies on change, on
 * the main context the job runs on):
 *   device            EspyDevice*     construct-only
 *   device-name       string          the node name, fixed at creation
 *   image             EspyFirmwareImage*  construct-only (NULL: later a build)
 *   state             EspyInstallState
 *   failed-state      EspyInstallState  the state that failed (PENDING if none)
 *   ota-stage         EspyOtaStage    the OTA client's fine stage while connecting/uploading
 *   transport         EspyInstallTransport  read/write before run
 *   fraction          double          0..1: bytes acknowledged / total
 *   bytes-sent        guint64         bytes acknowledged by the device
 *   bytes-total       guint64         payload bytes on the wire (gzip size when compressed)
 *   rate              double          bytes/s, smoothed; 0 while unknown
 *   eta-seconds       int             -1 while unknown
 *   title             string          espy_install_state_describe (state)
 *   status-text       string          translated, one line: "Uploading — 45 %, 120.0 kB/s, 8 s left"
 *   error             GError (boxed)  when FAILED (and CANCELLED: G_IO_ERROR_CANCELLED)
 *   device-code       int             the device's OTA error byte, or -1
 *   old-version       string          the device's ESPHome version when the job started
 *   new-version       string          the version it came back with, when known
 *   new-compilation-time string       when the device reports it (issue 6)
 *   started           gint64          wall-clock µs when run started; 0 before
 *   finished          gint64          wall-clock µs when it reached a final state; 0 before
 *
 * Signals:
 *   ::state-changed (EspyInstallState old_state, EspyInstallState new_state)
 *        after "state" changed; handy for recording the stages passed. */
#define ESPY_TYPE_INSTALL_JOB (espy_install_job_get_type ())
G_DECLARE_FINAL_TYPE (EspyInstallJob, espy_install_job, ESPY, INSTALL_JOB, GObject)

/* IMAGE already checked (espy_firmware_image_load*()); it is checked again
 * (size, kind) in PREPARING. */
EspyInstallJob     *espy_install_job_new                    (EspyDevice            *device,
                                                             EspyFirmwareImage     *image);

/* Overrides, before run: NULL / 0 = what the device says. */
void                espy_install_job_set_host               (EspyInstallJob        *self,
                                                             const char            *host);
void                espy_install_job_set_ota_port           (EspyInstallJob        *self,
                                                             guint16                port);
void                espy_install_job_set_web_port           (EspyInstallJob        *self,
                                                             guint16                port);
/* Kept in memory only, never printed or exposed as a property.
 * NULL or "" = no password. */
void                espy_install_job_set_password           (EspyInstallJob        *self,
                                                             const char            *password);
void                espy_install_job_set_transport          (EspyInstallJob        *self,
                                                             EspyInstallTransport   transport);
/* How long REBOOTING waits for the OTA port to accept a connection again
 * (default ESPY_INSTALL_DEFAULT_REBOOT_TIMEOUT_MS). */
void                espy_install_job_set_reboot_timeout     (EspyInstallJob        *self,
                                                             guint                  timeout_ms);
/* How long VERIFYING waits for mDNS / the API to report the new version of a
 * device that such a source knows (default ESPY_INSTALL_DEFAULT_VERIFY_TIMEOUT_MS).
 * A device no such source knows is verified by being back. */
void                espy_install_job_set_verify_timeout     (EspyInstallJob        *self,
                                                             guint                  timeout_ms);
/* Passed to the OTA client (defaults: ESPY_OTA_DEFAULT_RETRIES, _RETRY_DELAY_MS). */
void                espy_install_job_set_ota_retries        (EspyInstallJob        *self,
                                                             guint                  retries,
                                                             guint                  delay_ms);

/* Runs the whole pipeline once. Holds a reference on SELF until done, so
 * the caller may drop its own. Cancelling CANCELLABLE is espy_install_job_cancel().
 * Finishes FALSE with the job's error on failure or cancellation. */
void                espy_install_job_run_async              (EspyInstallJob        *self,
                                                             GCancellable          *cancellable,
                                                             GAsyncReadyCallback    callback,
                                                             gpointer               user_data);
gboolean            espy_install_job_run_finish             (EspyInstallJob        *self,
                                                             GAsyncResult          *result,
                                                             GError               **error);
/* Stops a running job (it ends CANCELLED), or marks a PENDING one
 * CANCELLED so it never starts. Nothing for a final job. */
void                espy_install_job_cancel                 (EspyInstallJob        *self);

EspyDevice         *espy_install_job_get_device             (EspyInstallJob        *self);
const char         *espy_install_job_get_device_name        (EspyInstallJob        *self);
EspyFirmwareImage  *espy_install_job_get_image              (EspyInstallJob        *self);
EspyInstallState    espy_install_job_get_state              (EspyInstallJob        *self);
EspyInstallState    espy_install_job_get_failed_state       (EspyInstallJob        *self);
EspyOtaStage        espy_install_job_get_ota_stage          (EspyInstallJob        *self);
EspyInstallTransport espy_install_job_get_transport         (EspyInstallJob        *self);
double              espy_install_job_get_fraction           (EspyInstallJob        *self);
guint64             espy_install_job_get_bytes_sent         (EspyInstallJob        *self);
guint64             espy_install_job_get_bytes_total        (EspyInstallJob        *self);
double              espy_install_job_get_rate               (EspyInstallJob        *self);
int                 espy_install_job_get_eta_seconds        (EspyInstallJob        *self);
const char         *espy_install_job_get_title              (EspyInstallJob        *self);
const char         *espy_install_job_get_status_text        (EspyInstallJob        *self);
/* NULL unless FAILED or CANCELLED. Owned by SELF. */
const GError       *espy_install_job_get_error              (EspyInstallJob        *self);
int                 espy_install_job_get_device_code        (EspyInstallJob        *self);
const char         *espy_install_job_get_old_version        (EspyInstallJob        *self);
const char         *espy_install_job_get_new_version        (EspyInstallJob        *self);
const char         *espy_install_job_get_new_compilation_time (EspyInstallJob      *self);
gint64              espy_install_job_get_started            (EspyInstallJob        *self);
gint64              espy_install_job_get_finished           (EspyInstallJob        *self);
gboolean            espy_install_job_is_final               (EspyInstallJob        *self);

G_END_DECLS
