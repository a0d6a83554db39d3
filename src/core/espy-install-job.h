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
#include "espy-device-config.h"
#include "espy-firmware-image.h"
#include "espy-install-attempt.h"
#include "espy-log-session.h"
#include "espy-ota-client.h"

G_BEGIN_DECLS

/* The states in the order a successful job passes them. SUCCEEDED, FAILED
 * and CANCELLED are final. */
typedef enum {
  ESPY_INSTALL_STATE_PENDING,     /* created or queued, not started */
  ESPY_INSTALL_STATE_PREPARING,   /* building (when there is a config and no image), checking
                                   * the image, finding secrets, choosing the transport */
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
  ESPY_INSTALL_ERROR_WEB_UNAVAILABLE,   /* no longer used: both transports are available */
  ESPY_INSTALL_ERROR_NOT_BACK,          /* the device did not come back after the reboot */
  ESPY_INSTALL_ERROR_OLD_FIRMWARE,      /* back, but still on the old build */
  ESPY_INSTALL_ERROR_PASSWORD_REQUIRED, /* the device wants a password (OTA or web) nobody gave */

} EspyInstallError;

#define ESPY_INSTALL_DEFAULT_REBOOT_TIMEOUT_MS 60000
#define ESPY_INSTALL_DEFAULT_VERIFY_TIMEOUT_MS 5000
#define ESPY_INSTALL_DEFAULT_API_TIMEOUT_MS    4000
#define ESPY_INSTALL_DEFAULT_LOG_CAPTURE_MS    3000
/* A failed attempt keeps at most this many device log lines, of which at
 * most half from before the upload. */
#define ESPY_INSTALL_DEVICE_LOG_MAX            100

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
/* "busy", "no-image", ..., "password-required": the CLI's JSON "code". */
const char  *espy_install_error_to_nick       (EspyInstallError     code);
/* The domain of any error a job ends with, as a short nick ("ota",
 * "web-ota", "install", "build", "firmware", "api", "io", "error") and its
 * code's nick: what the attempt record and the CLI's JSON say. */
const char  *espy_install_error_domain_nick   (const GError        *error);
const char  *espy_install_error_code_nick     (const GError        *error);
/* TRUE for every transport now; kept for front ends that still ask. */
gboolean     espy_install_transport_is_available (EspyInstallTransport transport);

/* Properties (all read-only unless noted; every one notifies on change, on
 * the main context the job runs on):
 *   device            EspyDevice*     construct-only
 *   device-name       string          the node name, fixed at creation
 *   image             EspyFirmwareImage*  construct-only; NULL = build from the
 *                     config (set_config()); then the built image once loaded
 *   state             EspyInstallState
 *   failed-state      EspyInstallState  the state that failed (PENDING if none)
 *   ota-stage         EspyOtaStage    the OTA client's fine stage while connecting/uploading
 *   transport         EspyInstallTransport  read/write before run (what was asked)
 *   transport-used    EspyInstallTransport  OTA or WEB once chosen, AUTO before
 *   transport-reason  string          why that transport, one translated line
 *   building          gboolean        the compiler runs (in PREPARING); fraction,
 *                     title and status-text then follow the build
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
 *        after "state" changed; handy for recording the stages passed.
 *   ::log-line (const char *line)
 *        one line of the install log: the compiler's output (ANSI escapes
 *        removed) and the job's own notes. Any secret the job holds is
 *        replaced by "********" before it gets here.
 *   ::finished (EspyInstallAttempt *attempt)
 *        once, when the job reached a final state (before run_finish's
 *        callback): the record for the history. It holds no secret. */
#define ESPY_TYPE_INSTALL_JOB (espy_install_job_get_type ())
G_DECLARE_FINAL_TYPE (EspyInstallJob, espy_install_job, ESPY, INSTALL_JOB, GObject)

/* IMAGE already checked (espy_firmware_image_load*()); it is checked again
 * (size, kind) in PREPARING. IMAGE NULL with a config (set_config()) builds
 * it first with EspyBuildRunner ($ESPY_ESPHOME or "esphome"). */
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
/* The device's YAML (may be NULL): where secrets come from first, whether
 * the device has native OTA, web server OTA and the API, and what to build
 * when there is no image. */
void                espy_install_job_set_config             (EspyInstallJob        *self,
                                                             EspyDeviceConfig      *config);
/* Web server credentials (kept in memory only, like the password). */
void                espy_install_job_set_web_credentials    (EspyInstallJob        *self,
                                                             const char            *user,
                                                             const char            *password);
/* The native API: port (0 = config / device) and base64 Noise key (NULL =
 * from the config or the keyring). Used to read DeviceInfo before the
 * upload and after the reboot. */
void                espy_install_job_set_api_port           (EspyInstallJob        *self,
                                                             guint16                port);
void                espy_install_job_set_api_key            (EspyInstallJob        *self,
                                                             const char            *key);
/* Look missing secrets up in the keyring after the config (default TRUE). */
void                espy_install_job_set_use_keyring        (EspyInstallJob        *self,
                                                             gboolean               use_keyring);
/* The ESPHome version the device must report afterwards (NULL: any). */
void                espy_install_job_set_expected_version   (EspyInstallJob        *self,
                                                             const char            *version);
/* How long REBOOTING waits for the device to be back (default
 * ESPY_INSTALL_DEFAULT_REBOOT_TIMEOUT_MS). Back is whichever comes first: a
 * fresh mDNS announcement (a device mDNS knows), or its API port accepting
 * a connection (a device with the API). The transport's own port (OTA or
 * web) is probed when the device has neither, and for the second half of
 * the timeout as a fallback. */
void                espy_install_job_set_reboot_timeout     (EspyInstallJob        *self,
                                                             guint                  timeout_ms);
/* How long VERIFYING waits for mDNS / the API to report the new version of a
 * device that such a source knows (default ESPY_INSTALL_DEFAULT_VERIFY_TIMEOUT_MS).
 * A device no such source knows is verified by being back. */
void                espy_install_job_set_verify_timeout     (EspyInstallJob        *self,
                                                             guint                  timeout_ms);
/* How long one read of the device information over the API (before the
 * upload, and each try while verifying) may take to connect and answer
 * (default ESPY_INSTALL_DEFAULT_API_TIMEOUT_MS). Before run. */
void                espy_install_job_set_api_timeout        (EspyInstallJob        *self,
                                                             guint                  timeout_ms);
/* Passed to the OTA client (defaults: ESPY_OTA_DEFAULT_RETRIES, _RETRY_DELAY_MS). */
void                espy_install_job_set_ota_retries        (EspyInstallJob        *self,
                                                             guint                  retries,
                                                             guint                  delay_ms);

/* A log stream Espy already has open to the device (the logs view's; may
 * be paused for the upload): when the job fails, its last lines before the
 * failure go into the device log (espy_install_job_get_device_log()).
 * NULL = none. Before run. */
void                espy_install_job_set_log_session        (EspyInstallJob        *self,
                                                             EspyLogSession        *session);
/* After a failure in which the device was reached (upload, verification,
 * or an error code the device sent), the job follows the device's log itself
 * (the API, else the web server's /events) for at most TIMEOUT_MS, stopping
 * early once it falls quiet: its config dump and what it says after the
 * reboot ("OTA rollback detected", "SAFE MODE IS ACTIVE"). The job stays in
 * the failing state meanwhile. 0 = never (default
 * ESPY_INSTALL_DEFAULT_LOG_CAPTURE_MS). Before run. */
void                espy_install_job_set_log_capture_timeout (EspyInstallJob       *self,
                                                             guint                  timeout_ms);

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
EspyDeviceConfig   *espy_install_job_get_config             (EspyInstallJob        *self);
EspyInstallTransport espy_install_job_get_transport_used    (EspyInstallJob        *self);
const char         *espy_install_job_get_transport_reason   (EspyInstallJob        *self);
gboolean            espy_install_job_get_building           (EspyInstallJob        *self);
/* The install log so far (lines joined with "\n"); never NULL. */
const char         *espy_install_job_get_log                (EspyInstallJob        *self);
/* The compilation time the device reported before the upload, or NULL. */
const char         *espy_install_job_get_old_compilation_time (EspyInstallJob      *self);
/* The device's log lines around the failure of a FAILED job (before the
 * upload from set_log_session(), then what the job read itself), oldest
 * first, ANSI codes removed and secrets redacted (ESPHome's ESC[5m…ESC[6m
 * spans and every password and key the job held); at most
 * ESPY_INSTALL_DEVICE_LOG_MAX. NULL when there are none. Owned by SELF;
 * what the application passes to espy_history_add(). */
const char * const *espy_install_job_get_device_log         (EspyInstallJob        *self);
/* The record (also passed to ::finished); complete once final. Owned by SELF. */
EspyInstallAttempt *espy_install_job_get_attempt            (EspyInstallJob        *self);

G_END_DECLS
