/* espy-password-change.h: changing a device's OTA password in one build,
 * verified, with rollback (issue 7). Shared by the GUI wizard and the CLI.
 *
 * The trap it avoids: the YAML's password is used both to build the new
 * firmware and, by the ESPHome tools, to authenticate the upload, but the
 * device still expects the old one. Here the firmware is built with the
 * NEW password and uploaded authenticating with the CURRENT one; then the
 * device must accept the new password and refuse the old one.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-config-folder.h"
#include "espy-device-config.h"

G_BEGIN_DECLS

#define ESPY_PASSWORD_ERROR (espy_password_error_quark ())

/* Failures of the flow itself. Build, upload and edit failures keep their
 * domains (ESPY_BUILD_ERROR, ESPY_OTA_ERROR, ESPY_WEB_OTA_ERROR,
 * ESPY_INSTALL_ERROR, ESPY_YAML_EDIT_ERROR), with messages saying what
 * was restored. Cancellation is G_IO_ERROR_CANCELLED. */
typedef enum {
  ESPY_PASSWORD_ERROR_INVALID,           /* the new password is missing, empty, not UTF-8, or the old one */
  ESPY_PASSWORD_ERROR_NO_OTA,            /* no `ota: - platform: esphome` in the configuration */
  ESPY_PASSWORD_ERROR_NOT_EDITABLE,      /* computed, remote, or in a shared include: edit by hand */
  ESPY_PASSWORD_ERROR_SHARED,            /* other devices use the same secret: choose rotate or own secret */
  ESPY_PASSWORD_ERROR_CURRENT_REJECTED,  /* the device does not accept the current password */
  ESPY_PASSWORD_ERROR_HAS_PASSWORD,      /* Add, but the device or config already has a password */
  ESPY_PASSWORD_ERROR_SERIAL_ONLY,       /* Recover without web server OTA */
  ESPY_PASSWORD_ERROR_UNVERIFIED,        /* installed, but the device does not answer as expected */
  ESPY_PASSWORD_ERROR_PARTIAL,           /* rotate-all: some devices changed, some did not */
  ESPY_PASSWORD_ERROR_NOT_PREPARED,      /* run before a successful prepare */
} EspyPasswordError;

typedef enum {
  ESPY_PASSWORD_FLOW_CHANGE,   /* old -> new */
  ESPY_PASSWORD_FLOW_ADD,      /* none -> new */
  ESPY_PASSWORD_FLOW_REMOVE,   /* old -> none */
  ESPY_PASSWORD_FLOW_RECOVER,  /* unknown -> new or none, through the web server's /update */
  ESPY_PASSWORD_FLOW_APPLY,    /* "the device rejects the password in my YAML": install the YAML's
                                * password, authenticating with the one the device has now */
} EspyPasswordFlow;

/* When other device configurations use the same password definition. */
typedef enum {
  ESPY_PASSWORD_SHARED_ASK,         /* refuse at run; get_shared_devices() says who */
  ESPY_PASSWORD_SHARED_ROTATE_ALL,  /* change it on every device using it (a fleet job) */
  ESPY_PASSWORD_SHARED_OWN_SECRET,  /* give this device its own secret name */
} EspyPasswordShared;

typedef enum {
  ESPY_PASSWORD_STEP_PENDING,
  ESPY_PASSWORD_STEP_CHECK,    /* handshake + auth with the current password, no upload */
  ESPY_PASSWORD_STEP_EDIT,     /* configuration files written */
  ESPY_PASSWORD_STEP_BUILD,
  ESPY_PASSWORD_STEP_UPLOAD,   /* authenticating with the current password */
  ESPY_PASSWORD_STEP_REBOOT,
  ESPY_PASSWORD_STEP_VERIFY,   /* new accepted, old refused */
  ESPY_PASSWORD_STEP_STORE,    /* keyring */
  ESPY_PASSWORD_STEP_DONE,
  ESPY_PASSWORD_STEP_FAILED,
} EspyPasswordStep;

/* What one device accepts once the flow ended. */
typedef enum {
  ESPY_PASSWORD_EXPECTS_UNKNOWN,  /* not reached (only while running) or neither answered */
  ESPY_PASSWORD_EXPECTS_OLD,      /* unchanged: the current password (or none) */
  ESPY_PASSWORD_EXPECTS_NEW,      /* verified */
} EspyPasswordExpects;

GQuark      espy_password_error_quark    (void);
const char *espy_password_flow_to_nick   (EspyPasswordFlow  flow);   /* "change", "add", ... */
gboolean    espy_password_flow_from_nick (const char       *nick,
                                          EspyPasswordFlow *flow);
const char *espy_password_step_to_nick   (EspyPasswordStep  step);   /* "check", "edit", ... */
/* Translated: "Checking the current password", "Building", ... */
const char *espy_password_step_describe  (EspyPasswordStep  step);
const char *espy_password_expects_to_nick (EspyPasswordExpects expects); /* "unknown", "old", "new" */

/* Signals:
 *   ::progress (guint device_index, EspyPasswordStep step, const char *text)
 *        as each device enters a step; TEXT is translated, one line, never
 *        a secret. Device 0 is the one the flow was made for.
 *   ::upload-progress (guint device_index, double fraction)
 *
 * Properties: "flow", "config" (construct-only), "step" (of device 0),
 * "running". */
#define ESPY_TYPE_PASSWORD_CHANGE (espy_password_change_get_type ())
G_DECLARE_FINAL_TYPE (EspyPasswordChange, espy_password_change, ESPY, PASSWORD_CHANGE, GObject)

EspyPasswordChange *espy_password_change_new                (EspyDeviceConfig   *config,
                                                             EspyPasswordFlow    flow);

EspyPasswordFlow    espy_password_change_get_flow           (EspyPasswordChange *self);
EspyDeviceConfig   *espy_password_change_get_config         (EspyPasswordChange *self);

/* Secrets stay in memory, wiped when replaced or freed; never printed.
 * CURRENT: what the device accepts now; NULL = the configuration's
 * password (Change, Remove), none (Add); required for Apply; ignored by
 * Recover. NEW: required for Change and Add; optional for Recover (NULL =
 * no password); ignored by Remove and Apply (the YAML's). */
void                espy_password_change_set_current_password (EspyPasswordChange *self,
                                                             const char         *password);
void                espy_password_change_set_new_password   (EspyPasswordChange *self,
                                                             const char         *password);
void                espy_password_change_set_shared         (EspyPasswordChange *self,
                                                             EspyPasswordShared  shared);
EspyPasswordShared  espy_password_change_get_shared         (EspyPasswordChange *self);
/* Configurations to look through for shared passwords (default: the
 * config's folder, read during prepare). Not a new reference needed. */
void                espy_password_change_set_folder         (EspyPasswordChange *self,
                                                             EspyConfigFolder   *folder);
/* Where device 0 is (default: the config's address and OTA port; the web
 * server port for Recover: the config's). 0 / NULL = the default. */
void                espy_password_change_set_host           (EspyPasswordChange *self,
                                                             const char         *host);
void                espy_password_change_set_port           (EspyPasswordChange *self,
                                                             guint16             port);
void                espy_password_change_set_web_port       (EspyPasswordChange *self,
                                                             guint16             port);
/* How long to wait for a device to come back and answer with the new
 * password (default 60000 ms). */
void                espy_password_change_set_reboot_timeout (EspyPasswordChange *self,
                                                             guint               timeout_ms);
/* Store the new password in the keyring at the end (default TRUE). */
void                espy_password_change_set_use_keyring    (EspyPasswordChange *self,
                                                             gboolean            use_keyring);

/* Works out the plan without changing anything: which file(s) change and
 * how (get_diff), which devices use the same definition, which devices
 * the run will update. Call again after set_shared(). Errors: INVALID,
 * NO_OTA, NOT_EDITABLE, HAS_PASSWORD, SERIAL_ONLY, ESPY_YAML_EDIT_ERROR. */
void                espy_password_change_prepare_async      (EspyPasswordChange  *self,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean            espy_password_change_prepare_finish     (EspyPasswordChange  *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
/* After prepare: a unified diff of every file that will change (paths
 * relative to the configuration folder). REDACT hides the password
 * values; without it the text holds secrets: show it, never log it. */
char               *espy_password_change_get_diff           (EspyPasswordChange *self,
                                                             gboolean            redact);
/* Absolute paths of the files that will change. */
GStrv               espy_password_change_get_files          (EspyPasswordChange *self);
/* Node names of the other configurations using the same password
 * definition (empty when not shared). */
GStrv               espy_password_change_get_shared_devices (EspyPasswordChange *self);

/* Handshake and authentication of device 0 with the current password, no
 * upload: for the wizard's "check" page (prepare is not needed). Errors: CURRENT_REJECTED (or
 * HAS_PASSWORD for Add) and ESPY_OTA_ERROR network failures. */
void                espy_password_change_check_async        (EspyPasswordChange  *self,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean            espy_password_change_check_finish       (EspyPasswordChange  *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);

/* The whole flow (prepare first). Failure before any upload succeeded:
 * every file is back byte for byte and the keyring unchanged. After an
 * upload: per-device results say what each device expects now, and
 * dup_passwords() still gives both. */
void                espy_password_change_run_async          (EspyPasswordChange  *self,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
gboolean            espy_password_change_run_finish         (EspyPasswordChange  *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
gboolean            espy_password_change_get_running        (EspyPasswordChange *self);
/* TRUE after a run that put every file back. */
gboolean            espy_password_change_get_rolled_back    (EspyPasswordChange *self);

/* Devices of the run (after prepare): 0 is the config's own; more with
 * SHARED_ROTATE_ALL. */
guint               espy_password_change_get_n_devices      (EspyPasswordChange *self);
const char         *espy_password_change_get_device_name    (EspyPasswordChange *self,
                                                             guint               index);
const char         *espy_password_change_get_device_config_path (EspyPasswordChange *self,
                                                             guint               index);
EspyPasswordStep    espy_password_change_get_device_step    (EspyPasswordChange *self,
                                                             guint               index);
/* The step that failed, or PENDING. */
EspyPasswordStep    espy_password_change_get_device_failed_step (EspyPasswordChange *self,
                                                             guint               index);
EspyPasswordExpects espy_password_change_get_device_expects (EspyPasswordChange *self,
                                                             guint               index);
/* Verification details: the new password was accepted / the old refused. */
gboolean            espy_password_change_get_device_verified (EspyPasswordChange *self,
                                                             guint               index,
                                                             gboolean           *new_accepted,
                                                             gboolean           *old_refused);
const GError       *espy_password_change_get_device_error   (EspyPasswordChange *self,
                                                             guint               index);
/* A keyring failure at the end (the change itself stands), or NULL. */
const GError       *espy_password_change_get_keyring_error  (EspyPasswordChange *self);

/* Both passwords (NULL = none / unknown), for a user who must know what a
 * device expects after a failed verification. Free with espy_secret_free(). */
void                espy_password_change_dup_passwords      (EspyPasswordChange *self,
                                                             char              **current_password,
                                                             char              **new_password);

/* A random password: 24 characters from letters and digits (about 140 bits),
 * safe in any YAML quoting. */
char               *espy_password_generate                  (void);
/* 0 (empty) to 4 (strong): a length and character-class estimate for the
 * wizard's hint. */
guint               espy_password_strength                  (const char         *password);

G_END_DECLS
