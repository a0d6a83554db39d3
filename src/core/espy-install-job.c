/* espy-install-job.c
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-install-job.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "espy-api-client.h"
#include "espy-build-runner.h"
#include "espy-ota-error.h"
#include "espy-report.h"
#include "espy-secret-string.h"
#include "espy-secrets.h"
#include "espy-web-ota-client.h"

/* A just-rebooted device keeps its old listener for a moment (ESPHome
 * reboots after the end acknowledgement), so the first probe waits. */
#define REBOOT_GRACE_MS        1000
#define REBOOT_POLL_MS         500
#define REBOOT_CONNECT_TIMEOUT 2      /* seconds, per probe */
/* A device log capture ends this long after the stream fell quiet (the
 * config dump comes at once), or at its timeout. */
#define CAPTURE_QUIET_MS       700
#define CAPTURE_POLL_MS        100
/* Progress notifications at most this often (a v2 device acks every block). */
#define NOTIFY_INTERVAL_US     (100 * G_TIME_SPAN_MILLISECOND)
/* Rate samples at least this far apart, mixed in with this weight. */
#define RATE_SAMPLE_US         (250 * G_TIME_SPAN_MILLISECOND)
#define RATE_WEIGHT            0.3
/* The transport probe and the API reads are quick looks, not installs. */
#define PROBE_TIMEOUT_S        3
#define API_RETRY_MS           500
/* Secrets shorter than this are not redacted from log lines (they would
 * mangle every word); none of them is printed by Espy itself anyway. */
#define REDACT_MIN_LEN         3
#define REDACTED               "********"
/* The install log keeps at most this many bytes (a build prints a lot). */
#define LOG_MAX_BYTES          (512 * 1024)

/* PREPARING's steps, in order. */
typedef enum {
  PREP_BUILD,
  PREP_CHECK,
  PREP_SECRETS,
  PREP_OLD_INFO,
  PREP_TRANSPORT,
  PREP_DONE,
} PrepStep;

struct _EspyInstallJob
{
  GObject               parent_instance;

  /* What to do. */
  EspyDevice           *device;
  char                 *device_name;
  EspyFirmwareImage    *image;
  char                 *host;
  guint16               ota_port;
  guint16               web_port;
  char                 *password;
  EspyInstallTransport  transport;
  guint                 reboot_timeout_ms;
  guint                 verify_timeout_ms;
  guint                 api_timeout_ms;
  guint                 retries;
  guint                 retry_delay_ms;
  EspyDeviceConfig     *config;
  char                 *web_user;
  char                 *web_password;
  char                 *api_key;
  guint16               api_port;
  gboolean              use_keyring;
  gboolean              password_given;   /* set_password() was called: no lookup */
  gboolean              web_given;
  gboolean              api_key_given;
  char                 *expected_version;
  EspyLogSession       *log_session;       /* the application's stream, or NULL */
  guint                 log_capture_ms;

  /* What happened. */
  EspyInstallTransport  transport_used;
  char                 *transport_reason;
  gboolean              building;
  GString              *log;
  EspyInstallAttempt   *attempt;
  char                 *old_compilation_time;
  char                **device_log;        /* around the failure; NULL = none */
  EspyInstallState      state;
  EspyInstallState      failed_state;
  EspyOtaStage          ota_stage;
  double                fraction;
  guint64               bytes_sent;
  guint64               bytes_total;
  double                rate;
  int                   eta_seconds;
  char                 *status_text;
  GError               *error;
  int                   device_code;
  char                 *old_version;
  char                 *new_version;
  char                 *new_compilation_time;
  gint64                started;
  gint64                finished;

  /* While running. */
  GTask                *task;
  GCancellable         *cancellable;       /* ours; the caller's chains to it */
  GCancellable         *caller_cancellable;
  gulong                caller_cancel_id;
  GSource              *cancel_source;     /* ends waits when cancelled */
  EspyOtaClient        *client;
  EspyWebOtaClient     *web_client;
  EspyBuildRunner      *runner;
  EspyApiClient        *api;
  PrepStep              prep_step;
  guint                 secret_index;
  gint64                verify_deadline_us;
  gint64                upload_started_us;
  gint64                last_sample_us;
  GSocketClient        *probe;
  guint                 wait_id;           /* a timer: reboot grace/poll, verify */
  gulong                version_id;        /* device notify::version while verifying */
  gint64                reboot_deadline_us;
  gint64                reboot_started_us;
  GCancellable         *probe_cancellable; /* this wait's port probes */
  guint                 probes_pending;
  gboolean              watch_mdns;        /* mDNS knows the device: its return counts */
  gboolean              probe_api;         /* the API port answering counts */
  gboolean              reboot_grace_over;
  gulong                sources_id;        /* device notify::sources while rebooting */
  EspyLogSession       *capture;           /* the job's own log stream after a failure */
  GError               *capture_error;     /* the failure, held while capturing */
  GPtrArray            *capture_lines;     /* char *, redacted */
  guint                 capture_id;
  gint64                capture_deadline_us;
  gint64                capture_quiet_since_us;
  gint64                last_notify_us;
  gint64                rate_sample_us;
  guint64               rate_sample_bytes;
};

enum {
  PROP_0,
  PROP_DEVICE,
  PROP_DEVICE_NAME,
  PROP_IMAGE,
  PROP_STATE,
  PROP_FAILED_STATE,
  PROP_OTA_STAGE,
  PROP_TRANSPORT,
  PROP_FRACTION,
  PROP_BYTES_SENT,
  PROP_BYTES_TOTAL,
  PROP_RATE,
  PROP_ETA_SECONDS,
  PROP_TITLE,
  PROP_STATUS_TEXT,
  PROP_ERROR,
  PROP_DEVICE_CODE,
  PROP_OLD_VERSION,
  PROP_NEW_VERSION,
  PROP_NEW_COMPILATION_TIME,
  PROP_STARTED,
  PROP_FINISHED,
  PROP_TRANSPORT_USED,
  PROP_TRANSPORT_REASON,
  PROP_BUILDING,
  N_PROPS
};

enum {
  SIGNAL_STATE_CHANGED,
  SIGNAL_LOG_LINE,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EspyInstallJob, espy_install_job, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (EspyInstallState, espy_install_state,
  G_DEFINE_ENUM_VALUE (ESPY_INSTALL_STATE_PENDING, "pending"),
  G_DEFINE_ENUM_VALUE (ESPY_INSTALL_STATE_PREPARING, "preparing"),
  G_DEFINE_ENUM_VALUE (ESPY_INSTALL_STATE_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (ESPY_INSTALL_STATE_UPLOADING, "uploading"),
  G_DEFINE_ENUM_VALUE (ESPY_INSTALL_STATE_REBOOTING, "rebooting"),
  G_DEFINE_ENUM_VALUE (ESPY_INSTALL_STATE_VERIFYING, "verifying"),
  G_DEFINE_ENUM_VALUE (ESPY_INSTALL_STATE_SUCCEEDED, "succeeded"),
  G_DEFINE_ENUM_VALUE (ESPY_INSTALL_STATE_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (ESPY_INSTALL_STATE_CANCELLED, "cancelled"))

G_DEFINE_ENUM_TYPE (EspyInstallTransport, espy_install_transport,
  G_DEFINE_ENUM_VALUE (ESPY_INSTALL_TRANSPORT_AUTO, "auto"),
  G_DEFINE_ENUM_VALUE (ESPY_INSTALL_TRANSPORT_OTA, "ota"),
  G_DEFINE_ENUM_VALUE (ESPY_INSTALL_TRANSPORT_WEB, "web"))

G_DEFINE_QUARK (espy-install-error-quark, espy_install_error)

static void step_start (EspyInstallJob *self);

static void
clear_password (EspyInstallJob *self)
{
  espy_secret_string_clear (&self->password);
  espy_secret_string_clear (&self->web_user);
  espy_secret_string_clear (&self->web_password);
  espy_secret_string_clear (&self->api_key);
}

/* --- enums ----------------------------------------------------------------- */

const char *
espy_install_state_to_nick (EspyInstallState state)
{
  switch (state)
    {
    case ESPY_INSTALL_STATE_PENDING: return "pending";
    case ESPY_INSTALL_STATE_PREPARING: return "preparing";
    case ESPY_INSTALL_STATE_CONNECTING: return "connecting";
    case ESPY_INSTALL_STATE_UPLOADING: return "uploading";
    case ESPY_INSTALL_STATE_REBOOTING: return "rebooting";
    case ESPY_INSTALL_STATE_VERIFYING: return "verifying";
    case ESPY_INSTALL_STATE_SUCCEEDED: return "succeeded";
    case ESPY_INSTALL_STATE_FAILED: return "failed";
    case ESPY_INSTALL_STATE_CANCELLED: return "cancelled";
    default: return "unknown";
    }
}

const char *
espy_install_state_describe (EspyInstallState state)
{
  switch (state)
    {
    case ESPY_INSTALL_STATE_PENDING: return _("Waiting");
    case ESPY_INSTALL_STATE_PREPARING: return _("Checking the firmware");
    case ESPY_INSTALL_STATE_CONNECTING: return _("Connecting");
    case ESPY_INSTALL_STATE_UPLOADING: return _("Uploading");
    case ESPY_INSTALL_STATE_REBOOTING: return _("Restarting");
    case ESPY_INSTALL_STATE_VERIFYING: return _("Verifying");
    case ESPY_INSTALL_STATE_SUCCEEDED: return _("Installed");
    case ESPY_INSTALL_STATE_FAILED: return _("Failed");
    case ESPY_INSTALL_STATE_CANCELLED: return _("Cancelled");
    default: return "";
    }
}

gboolean
espy_install_state_is_final (EspyInstallState state)
{
  return state == ESPY_INSTALL_STATE_SUCCEEDED
      || state == ESPY_INSTALL_STATE_FAILED
      || state == ESPY_INSTALL_STATE_CANCELLED;
}

gboolean
espy_install_state_is_active (EspyInstallState state)
{
  return state != ESPY_INSTALL_STATE_PENDING && !espy_install_state_is_final (state);
}

const char *
espy_install_transport_to_nick (EspyInstallTransport transport)
{
  switch (transport)
    {
    case ESPY_INSTALL_TRANSPORT_AUTO: return "auto";
    case ESPY_INSTALL_TRANSPORT_OTA: return "ota";
    case ESPY_INSTALL_TRANSPORT_WEB: return "web";
    default: return "auto";
    }
}

gboolean
espy_install_transport_is_available (EspyInstallTransport transport)
{
  return TRUE;
}

const char *
espy_install_error_to_nick (EspyInstallError code)
{
  switch (code)
    {
    case ESPY_INSTALL_ERROR_BUSY: return "busy";
    case ESPY_INSTALL_ERROR_NO_IMAGE: return "no-image";
    case ESPY_INSTALL_ERROR_WEB_UNAVAILABLE: return "web-unavailable";
    case ESPY_INSTALL_ERROR_NOT_BACK: return "not-back";
    case ESPY_INSTALL_ERROR_OLD_FIRMWARE: return "old-firmware";
    case ESPY_INSTALL_ERROR_PASSWORD_REQUIRED: return "password-required";
    default: return "install";
    }
}

const char *
espy_install_error_domain_nick (const GError *error)
{
  if (error == NULL)
    return NULL;
  if (error->domain == ESPY_OTA_ERROR)
    return "ota";
  if (error->domain == ESPY_WEB_OTA_ERROR)
    return "web-ota";
  if (error->domain == ESPY_INSTALL_ERROR)
    return "install";
  if (error->domain == ESPY_BUILD_ERROR)
    return "build";
  if (error->domain == ESPY_FIRMWARE_ERROR)
    return "firmware";
  if (error->domain == ESPY_API_ERROR)
    return "api";
  if (error->domain == G_IO_ERROR)
    return "io";
  return "error";
}

const char *
espy_install_error_code_nick (const GError *error)
{
  if (error == NULL)
    return NULL;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "cancelled";
  if (error->domain == ESPY_OTA_ERROR)
    return espy_ota_error_to_nick (error->code);
  if (error->domain == ESPY_WEB_OTA_ERROR)
    return espy_web_ota_error_to_nick (error->code);
  if (error->domain == ESPY_INSTALL_ERROR)
    return espy_install_error_to_nick (error->code);
  if (error->domain == ESPY_API_ERROR)
    return espy_api_error_to_nick (error->code);
  if (error->domain == ESPY_BUILD_ERROR)
    {
      switch ((EspyBuildError) error->code)
        {
        case ESPY_BUILD_ERROR_ESPHOME_MISSING: return "esphome-missing";
        case ESPY_BUILD_ERROR_SPAWN_FAILED: return "esphome-spawn-failed";
        case ESPY_BUILD_ERROR_CONFIG_INVALID: return "config-invalid";
        case ESPY_BUILD_ERROR_COMPILE_FAILED: return "compile-failed";
        case ESPY_BUILD_ERROR_NO_FIRMWARE: return "no-firmware";
        default: return "build";
        }
    }
  if (error->domain == ESPY_FIRMWARE_ERROR)
    {
      switch ((EspyFirmwareError) error->code)
        {
        case ESPY_FIRMWARE_ERROR_READ: return "firmware-read";
        case ESPY_FIRMWARE_ERROR_EMPTY: return "firmware-empty";
        case ESPY_FIRMWARE_ERROR_TOO_LARGE: return "firmware-too-large";
        case ESPY_FIRMWARE_ERROR_NOT_FIRMWARE: return "firmware-not-firmware";
        case ESPY_FIRMWARE_ERROR_FACTORY_IMAGE: return "firmware-factory-image";
        case ESPY_FIRMWARE_ERROR_COMPRESS: return "firmware-compress";
        default: return "firmware";
        }
    }
  return "error";
}

/* --- property helpers -------------------------------------------------------- */

static void
set_string (EspyInstallJob *self,
            char          **field,
            const char     *value,
            guint           prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_status_text (EspyInstallJob *self,
                 const char     *text)
{
  set_string (self, &self->status_text, text, PROP_STATUS_TEXT);
}

/* "8 s", "2 min 5 s", "1 h 3 min" */
static char *
format_duration (int seconds)
{
  if (seconds < 60)
    return g_strdup_printf (_("%d s"), seconds);
  if (seconds < 3600)
    return g_strdup_printf (_("%d min %d s"), seconds / 60, seconds % 60);
  return g_strdup_printf (_("%d h %d min"), seconds / 3600, (seconds % 3600) / 60);
}

/* One line for the current state and stage. */
static void
update_status_text (EspyInstallJob *self)
{
  g_autofree char *text = NULL;

  switch (self->state)
    {
    case ESPY_INSTALL_STATE_PENDING:
      text = g_strdup (_("Waiting to start"));
      break;

    case ESPY_INSTALL_STATE_PREPARING:
      text = g_strdup_printf (_("%s…"), _("Checking the firmware"));
      break;

    case ESPY_INSTALL_STATE_CONNECTING:
      text = g_strdup_printf (_("%s…"), espy_ota_stage_describe (self->ota_stage == ESPY_OTA_STAGE_IDLE
                                                                 ? ESPY_OTA_STAGE_CONNECT
                                                                 : self->ota_stage));
      break;

    case ESPY_INSTALL_STATE_UPLOADING:
      if (self->ota_stage == ESPY_OTA_STAGE_UPLOAD && self->bytes_total > 0)
        {
          guint percent = (guint) (self->fraction * 100.0);

          if (self->rate > 0.0 && self->eta_seconds >= 0)
            {
              g_autofree char *speed = g_format_size ((guint64) self->rate);
              g_autofree char *left = format_duration (self->eta_seconds);

              /* Translators: "Uploading — 45 %, 120.0 kB/s, 8 s left" */
              text = g_strdup_printf (_("Uploading — %u %%, %s/s, %s left"), percent, speed, left);
            }
          else
            text = g_strdup_printf (_("Uploading — %u %%"), percent);
        }
      else
        text = g_strdup_printf (_("%s…"), espy_ota_stage_describe (self->ota_stage == ESPY_OTA_STAGE_IDLE
                                                                   ? ESPY_OTA_STAGE_UPLOAD
                                                                   : self->ota_stage));
      break;

    case ESPY_INSTALL_STATE_REBOOTING:
      {
        int waited = (int) ((g_get_monotonic_time () - self->reboot_started_us) / G_USEC_PER_SEC);

        if (waited < 2)
          text = g_strdup (_("Waiting for the device to restart…"));
        else
          text = g_strdup_printf (_("Waiting for the device to restart… (%d s)"), waited);
      }
      break;

    case ESPY_INSTALL_STATE_VERIFYING:
      text = g_strdup (_("Checking which firmware the device runs…"));
      break;

    case ESPY_INSTALL_STATE_SUCCEEDED:
      if (self->new_version != NULL)
        text = g_strdup_printf (_("Installed; the device runs ESPHome %s"), self->new_version);
      else
        text = g_strdup (_("Installed"));
      break;

    case ESPY_INSTALL_STATE_FAILED:
      text = g_strdup (self->error != NULL ? self->error->message : _("Failed"));
      break;

    case ESPY_INSTALL_STATE_CANCELLED:
      text = g_strdup (_("Cancelled"));
      break;

    default:
      g_assert_not_reached ();
    }

  set_status_text (self, text);
}

/* The one place the state changes. */
static void
set_state (EspyInstallJob   *self,
           EspyInstallState  state)
{
  EspyInstallState old_state = self->state;

  if (old_state == state)
    return;

  g_object_freeze_notify (G_OBJECT (self));
  self->state = state;
  if (self->attempt != NULL)
    espy_install_attempt_enter_stage (self->attempt,
                                      espy_install_state_is_final (state) ? NULL
                                                                          : espy_install_state_to_nick (state),
                                      g_get_real_time ());
  if (espy_install_state_is_final (state))
    {
      self->finished = g_get_real_time ();
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINISHED]);
      if (self->eta_seconds != -1)
        {
          self->eta_seconds = -1;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ETA_SECONDS]);
        }
    }
  update_status_text (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
  g_object_thaw_notify (G_OBJECT (self));

  g_signal_emit (self, signals[SIGNAL_STATE_CHANGED], 0, (guint) old_state, (guint) state);
}

/* The state that follows a step that went well: the pipeline in one table.
 * A build step (issue 6) goes between PENDING and PREPARING's checks. */
static EspyInstallState
next_state (EspyInstallState state)
{
  switch (state)
    {
    case ESPY_INSTALL_STATE_PENDING: return ESPY_INSTALL_STATE_PREPARING;
    case ESPY_INSTALL_STATE_PREPARING: return ESPY_INSTALL_STATE_CONNECTING;
    case ESPY_INSTALL_STATE_CONNECTING: return ESPY_INSTALL_STATE_REBOOTING;
    case ESPY_INSTALL_STATE_UPLOADING: return ESPY_INSTALL_STATE_REBOOTING;
    case ESPY_INSTALL_STATE_REBOOTING: return ESPY_INSTALL_STATE_VERIFYING;
    case ESPY_INSTALL_STATE_VERIFYING: return ESPY_INSTALL_STATE_SUCCEEDED;
    case ESPY_INSTALL_STATE_SUCCEEDED:
    case ESPY_INSTALL_STATE_FAILED:
    case ESPY_INSTALL_STATE_CANCELLED:
    default:
      return state;
    }
}

/* --- ending ------------------------------------------------------------------ */

static void
stop_waiting (EspyInstallJob *self)
{
  g_clear_handle_id (&self->wait_id, g_source_remove);
  g_clear_signal_handler (&self->version_id, self->device);
  g_clear_signal_handler (&self->sources_id, self->device);
  /* Port probes still in flight end as stale. */
  if (self->probe_cancellable != NULL)
    {
      g_cancellable_cancel (self->probe_cancellable);
      g_clear_object (&self->probe_cancellable);
    }
  self->probes_pending = 0;
}

/* --- the install log and the attempt record ------------------------------- */

/* LINE with every secret the job holds replaced. */
static char *
redact (EspyInstallJob *self,
        const char     *line)
{
  const char *secrets[] = { self->password, self->web_password, self->api_key };
  g_autoptr(GString) text = g_string_new (line);

  for (gsize i = 0; i < G_N_ELEMENTS (secrets); i++)
    if (secrets[i] != NULL && strlen (secrets[i]) >= REDACT_MIN_LEN)
      g_string_replace (text, secrets[i], REDACTED, 0);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
log_line (EspyInstallJob *self,
          const char     *line)
{
  g_autofree char *clean = redact (self, line);

  if (self->log->len < LOG_MAX_BYTES)
    {
      if (self->log->len > 0)
        g_string_append_c (self->log, '\n');
      g_string_append (self->log, clean);
    }
  g_signal_emit (self, signals[SIGNAL_LOG_LINE], 0, clean);
}

static void G_GNUC_PRINTF (2, 3)
log_note (EspyInstallJob *self,
          const char     *format,
          ...)
{
  g_autofree char *text = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);
  log_line (self, text);
}

static void
finish_attempt (EspyInstallJob *self)
{
  EspyInstallAttempt *a = self->attempt;

  espy_install_attempt_enter_stage (a, NULL, self->finished);
  a->started = self->started;
  a->finished = self->finished;
  espy_install_attempt_set_string (a, &a->result, espy_install_state_to_nick (self->state));
  if (self->state == ESPY_INSTALL_STATE_FAILED)
    espy_install_attempt_set_string (a, &a->failed_state, espy_install_state_to_nick (self->failed_state));
  if (self->error != NULL)
    {
      g_autofree char *message = redact (self, self->error->message);

      espy_install_attempt_set_string (a, &a->error_domain, espy_install_error_domain_nick (self->error));
      espy_install_attempt_set_string (a, &a->error_code, espy_install_error_code_nick (self->error));
      espy_install_attempt_set_string (a, &a->error_message, message);
    }
  a->device_code = self->device_code;
  if (self->transport_used != ESPY_INSTALL_TRANSPORT_AUTO)
    espy_install_attempt_set_string (a, &a->transport, espy_install_transport_to_nick (self->transport_used));
  espy_install_attempt_set_string (a, &a->transport_reason, self->transport_reason);
  if (self->image != NULL)
    {
      espy_install_attempt_set_string (a, &a->image_name, espy_firmware_image_get_name (self->image));
      espy_install_attempt_set_string (a, &a->image_md5, espy_firmware_image_get_md5 (self->image));
      a->image_size = espy_firmware_image_get_size (self->image);
    }
  a->bytes_acked = self->bytes_sent;
  a->bytes_total = self->bytes_total;
  espy_install_attempt_set_string (a, &a->old_version, self->old_version);
  espy_install_attempt_set_string (a, &a->new_version, self->new_version);
  espy_install_attempt_set_string (a, &a->expected_version, self->expected_version);
  espy_install_attempt_set_string (a, &a->old_compilation_time, self->old_compilation_time);
  espy_install_attempt_set_string (a, &a->new_compilation_time, self->new_compilation_time);
  if (a->verify == NULL)
    espy_install_attempt_set_string (a, &a->verify, "not-checked");
}

static void end_capture (EspyInstallJob *self);

/* Drops everything the run holds and completes the task. */
static void
complete (EspyInstallJob *self)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  stop_waiting (self);
  end_capture (self);
  g_clear_error (&self->capture_error);
  clear_password (self);
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      g_clear_object (&self->client);
    }
  if (self->web_client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->web_client, self);
      g_clear_object (&self->web_client);
    }
  if (self->runner != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->runner, self);
      g_clear_object (&self->runner);
    }
  if (self->api != NULL)
    {
      espy_api_client_close (self->api);
      g_clear_object (&self->api);
    }
  g_clear_object (&self->probe);
  if (self->cancel_source != NULL)
    {
      g_source_destroy (self->cancel_source);
      g_clear_pointer (&self->cancel_source, g_source_unref);
    }
  if (self->caller_cancellable != NULL)
    {
      g_cancellable_disconnect (self->caller_cancellable, self->caller_cancel_id);
      self->caller_cancel_id = 0;
      g_clear_object (&self->caller_cancellable);
    }
  g_clear_object (&self->cancellable);

  if (task == NULL)
    return;
  finish_attempt (self);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, self->attempt);
  if (self->state == ESPY_INSTALL_STATE_SUCCEEDED)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, g_error_copy (self->error));
}

static gboolean capture_device_log (EspyInstallJob *self,
                                    GError         *error);

/* Ends the run in FAILED (or CANCELLED); takes ERROR. */
static void
fail_now (EspyInstallJob *self,
          GError         *error)
{
  gboolean cancelled = g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  end_capture (self);

  g_object_freeze_notify (G_OBJECT (self));
  g_clear_error (&self->error);
  self->error = error;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  if (!cancelled)
    {
      self->failed_state = self->state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAILED_STATE]);
    }
  set_state (self, cancelled ? ESPY_INSTALL_STATE_CANCELLED : ESPY_INSTALL_STATE_FAILED);
  g_object_thaw_notify (G_OBJECT (self));

  complete (self);
}

/* Ends the run in FAILED (or CANCELLED for a cancellation); takes ERROR.
 * A failure first records what the device logs around it, which may take
 * a moment (capture_device_log()). */
static void
fail (EspyInstallJob *self,
      GError         *error)
{
  if (self->capture == NULL && capture_device_log (self, error))
    return;
  fail_now (self, error);
}

/* The step of the current state went well: on to the next. */
static void
step_done (EspyInstallJob *self)
{
  set_state (self, next_state (self->state));
  if (espy_install_state_is_final (self->state))
    complete (self);
  else
    step_start (self);
}

static gboolean
cancelled_cb (GCancellable *cancellable,
              gpointer      user_data)
{
  EspyInstallJob *self = user_data;

  /* Async operations in flight end themselves with CANCELLED; only a timer
   * wait (and the reboot's probes, which have their own cancellable) has
   * nothing to be cancelled. A failure recording the device log ends now. */
  if (self->task != NULL && self->capture_id != 0)
    fail_now (self, g_steal_pointer (&self->capture_error));
  else if (self->task != NULL && (self->wait_id != 0 || self->version_id != 0 || self->probe_cancellable != NULL))
    fail (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The install was cancelled")));
  return G_SOURCE_REMOVE;
}

static void
caller_cancelled_cb (GCancellable *cancellable,
                     gpointer      user_data)
{
  /* Any thread: only cancel ours, whose source runs on our context. */
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/* --- PREPARING --------------------------------------------------------------- */

static const char *
install_host (EspyInstallJob *self)
{
  return self->host != NULL ? self->host : espy_device_get_address (self->device);
}

static guint16
install_ota_port (EspyInstallJob *self)
{
  if (self->ota_port != 0)
    return self->ota_port;
  if (self->config != NULL && espy_device_config_get_ota_port (self->config) != 0)
    return espy_device_config_get_ota_port (self->config);
  return espy_device_get_ota_port (self->device);
}

static guint16
install_web_port (EspyInstallJob *self)
{
  if (self->web_port != 0)
    return self->web_port;
  if (self->config != NULL && espy_device_config_has_web_server (self->config))
    return espy_device_config_get_web_server_port (self->config);
  if (espy_device_get_web_port (self->device) != 0)
    return espy_device_get_web_port (self->device);
  return ESPY_WEB_OTA_DEFAULT_PORT;
}

static guint16
install_api_port (EspyInstallJob *self)
{
  if (self->api_port != 0)
    return self->api_port;
  if (self->config != NULL && espy_device_config_has_api (self->config))
    return espy_device_config_get_api_port (self->config);
  return espy_device_get_api_port (self->device);
}

/* The port the transport in use listens on: REBOOTING waits for it. */
static guint16
install_transport_port (EspyInstallJob *self)
{
  return self->transport_used == ESPY_INSTALL_TRANSPORT_WEB ? install_web_port (self) : install_ota_port (self);
}

/* Whether the native API can be asked what the device runs. */
static gboolean
has_api (EspyInstallJob *self)
{
  if (self->api_port != 0)
    return TRUE;
  if (self->config != NULL)
    return espy_device_config_has_api (self->config);
  /* A device only mDNS knows is verified by its announced version (its
   * API may want a key nobody has). */
  return (espy_device_get_sources (self->device) & ESPY_DEVICE_SOURCES_API) != 0;
}

/* Native OTA configured: the config's esphome entry, else what the device
 * store merged (no source saying "web" means native OTA). */
static gboolean
has_native_ota (EspyInstallJob *self)
{
  if (self->ota_port != 0)
    return TRUE;
  if (self->config != NULL)
    return espy_device_config_find_ota (self->config, "esphome") != NULL;
  return espy_device_get_ota_transport (self->device) != ESPY_DEVICE_TRANSPORT_WEB;
}

/* `ota: - platform: web_server` (2025.7+) or `web_server: ota: true`. */
static gboolean
has_web_ota (EspyInstallJob *self)
{
  if (self->web_port != 0)
    return TRUE;
  if (self->config != NULL)
    return espy_device_config_find_ota (self->config, "web_server") != NULL
           || (espy_device_config_has_web_server (self->config)
               && espy_device_config_get_web_server_ota (self->config));
  return espy_device_get_ota_transport (self->device) == ESPY_DEVICE_TRANSPORT_WEB;
}

static void
set_transport_used (EspyInstallJob       *self,
                    EspyInstallTransport  transport,
                    const char           *reason)
{
  g_object_freeze_notify (G_OBJECT (self));
  self->transport_used = transport;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRANSPORT_USED]);
  set_string (self, &self->transport_reason, reason, PROP_TRANSPORT_REASON);
  g_object_thaw_notify (G_OBJECT (self));
  log_note (self, _("Transport: %s (%s)"),
            transport == ESPY_INSTALL_TRANSPORT_WEB ? _("web server") : _("native OTA"), reason);
}

static void
set_building (EspyInstallJob *self,
              gboolean        building)
{
  if (self->building == building)
    return;
  self->building = building;
  /* The record shows the build as a stage of its own. */
  espy_install_attempt_enter_stage (self->attempt, building ? "building" : "preparing", g_get_real_time ());
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUILDING]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

static void prepare (EspyInstallJob *self);

static void
prepare_next (EspyInstallJob *self)
{
  self->prep_step++;
  prepare (self);
}

/* PREP_BUILD ---------------------------------------------------------------- */

static void
build_output_cb (EspyBuildRunner *runner,
                 const char      *plain,
                 const char      *raw,
                 EspyInstallJob  *self)
{
  log_line (self, plain);
}

static void
build_progress_cb (EspyBuildRunner *runner,
                   GParamSpec      *pspec,
                   EspyInstallJob  *self)
{
  const char *status = espy_build_runner_get_status (runner);
  g_autofree char *text = NULL;

  self->fraction = CLAMP (espy_build_runner_get_progress (runner), 0.0, 1.0);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
  text = g_strdup_printf (_("Building — %s"), status != NULL ? status : _("starting"));
  set_status_text (self, text);
}

static void
built_image_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(EspyInstallJob) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyFirmwareImage) image = espy_firmware_image_load_finish (result, &error);

  if (self->task == NULL)
    return;
  if (image == NULL)
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  g_set_object (&self->image, image);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_IMAGE]);
  prepare_next (self);
}

static void
build_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(EspyInstallJob) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) file = espy_build_runner_build_finish (ESPY_BUILD_RUNNER (source), result, &error);

  if (self->task == NULL)
    return;
  set_building (self, FALSE);
  self->fraction = 0.0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
  if (file == NULL)
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  {
    g_autofree char *path = g_file_get_path (file);

    log_note (self, _("Built %s"), path);
  }
  self->attempt->built = TRUE;
  /* The built image is checked like any other. */
  espy_firmware_image_load_async (file, self->cancellable, built_image_cb, g_object_ref (self));
}

static void
prepare_build (EspyInstallJob *self)
{
  if (self->image != NULL || self->config == NULL)
    {
      prepare_next (self);
      return;
    }
  self->runner = espy_build_runner_new (espy_device_config_get_file (self->config));
  espy_build_runner_set_node_name (self->runner, espy_device_config_get_name (self->config));
  g_signal_connect (self->runner, "output-line", G_CALLBACK (build_output_cb), self);
  g_signal_connect (self->runner, "notify::progress", G_CALLBACK (build_progress_cb), self);
  g_signal_connect (self->runner, "notify::status", G_CALLBACK (build_progress_cb), self);
  set_building (self, TRUE);
  set_status_text (self, _("Building the firmware…"));
  log_note (self, _("Building %s"), espy_device_config_get_file_name (self->config));
  espy_build_runner_build_async (self->runner, self->cancellable, build_cb, g_object_ref (self));
}

/* PREP_CHECK ---------------------------------------------------------------- */

static void
prepare_check (EspyInstallJob *self)
{
  if (self->image == NULL)
    {
      fail (self, g_error_new_literal (ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_NO_IMAGE,
                                       _("There is no firmware to install. Choose a firmware file.")));
      return;
    }
  /* The image was checked when it was loaded; an empty one cannot exist,
   * but nothing is sent without a size. */
  if (espy_firmware_image_get_size (self->image) == 0)
    {
      fail (self, g_error_new (ESPY_FIRMWARE_ERROR, ESPY_FIRMWARE_ERROR_EMPTY,
                               _("The firmware file “%s” is empty."),
                               espy_firmware_image_get_name (self->image)));
      return;
    }
  log_note (self, _("Firmware %s, %llu bytes, MD5 %s"),
            espy_firmware_image_get_name (self->image),
            (unsigned long long) espy_firmware_image_get_size (self->image),
            espy_firmware_image_get_md5 (self->image));
  prepare_next (self);
}

/* PREP_SECRETS: the YAML (and secrets.yaml), then the keyring; what is still
 * missing is asked for by the front end when the device wants it. */

static const EspySecretKind secret_kinds[] = {
  ESPY_SECRET_KIND_OTA_PASSWORD,
  ESPY_SECRET_KIND_WEB_USER,
  ESPY_SECRET_KIND_WEB_PASSWORD,
  ESPY_SECRET_KIND_API_KEY,
};

static char **
secret_field (EspyInstallJob *self,
              EspySecretKind  kind,
              gboolean       *given)
{
  switch (kind)
    {
    case ESPY_SECRET_KIND_OTA_PASSWORD: *given = self->password_given; return &self->password;
    case ESPY_SECRET_KIND_WEB_USER: *given = self->web_given; return &self->web_user;
    case ESPY_SECRET_KIND_WEB_PASSWORD: *given = self->web_given; return &self->web_password;
    case ESPY_SECRET_KIND_API_KEY: *given = self->api_key_given; return &self->api_key;
    default: g_assert_not_reached ();
    }
}

static void prepare_secrets (EspyInstallJob *self);

static void
secret_resolved_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(EspyInstallJob) self = user_data;
  g_autoptr(GError) error = NULL;
  EspySecretSource from = ESPY_SECRET_SOURCE_NONE;
  char *secret = espy_secrets_resolve_finish (result, &from, &error);
  gboolean given;
  char **field;

  if (self->task == NULL)
    {
      espy_secret_free (secret);
      return;
    }
  if (error != NULL)
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  field = secret_field (self, secret_kinds[self->secret_index], &given);
  if (secret != NULL)
    {
      espy_secret_string_set (field, secret);
      /* Where from, never what. */
      log_note (self, _("%s: from %s"), espy_secret_kind_to_nick (secret_kinds[self->secret_index]),
                from == ESPY_SECRET_SOURCE_CONFIG ? _("the configuration") : _("the keyring"));
    }
  espy_secret_free (secret);
  self->secret_index++;
  prepare_secrets (self);
}

static void
prepare_secrets (EspyInstallJob *self)
{
  while (self->secret_index < G_N_ELEMENTS (secret_kinds))
    {
      EspySecretKind kind = secret_kinds[self->secret_index];
      gboolean given;
      char **field = secret_field (self, kind, &given);

      if (given || *field != NULL)
        {
          self->secret_index++;
          continue;
        }
      if (!self->use_keyring)
        {
          const char *value = espy_secrets_from_config (self->config, kind);

          if (value != NULL)
            {
              *field = g_strdup (value);
              log_note (self, _("%s: from %s"), espy_secret_kind_to_nick (kind), _("the configuration"));
            }
          self->secret_index++;
          continue;
        }
      espy_secrets_resolve_async (self->config, self->device_name, kind, self->cancellable,
                                  secret_resolved_cb, g_object_ref (self));
      return;
    }
  prepare_next (self);
}

/* PREP_OLD_INFO and VERIFYING: DeviceInfo over the native API. ----------- */

typedef void (*InfoFunc) (EspyInstallJob    *self,
                          EspyApiDeviceInfo *info,
                          GError            *error);

typedef struct {
  EspyInstallJob *self;
  InfoFunc        func;
} InfoCall;

static void
info_call_done (InfoCall          *call,
                EspyApiDeviceInfo *info,
                GError            *error)
{
  g_autoptr(EspyInstallJob) self = call->self;
  InfoFunc func = call->func;

  g_free (call);
  if (self->api != NULL)
    {
      espy_api_client_close (self->api);
      g_clear_object (&self->api);
    }
  if (self->task == NULL)
    return;
  func (self, info, error);
}

static void
info_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EspyApiDeviceInfo) info = espy_api_client_device_info_finish (ESPY_API_CLIENT (source),
                                                                          result, &error);

  info_call_done (user_data, info, error);
}

static void
info_connect_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  InfoCall *call = user_data;
  g_autoptr(GError) error = NULL;

  if (!espy_api_client_connect_finish (ESPY_API_CLIENT (source), result, &error))
    {
      info_call_done (call, NULL, error);
      return;
    }
  espy_api_client_device_info_async (ESPY_API_CLIENT (source), call->self->cancellable, info_cb, call);
}

/* One DeviceInfo over a fresh connection, then close (the device allows
 * only a few API clients). */
static void
read_device_info (EspyInstallJob *self,
                  InfoFunc        func)
{
  g_autoptr(GError) error = NULL;
  InfoCall *call = g_new0 (InfoCall, 1);

  call->self = g_object_ref (self);
  call->func = func;
  self->api = espy_api_client_new (install_host (self), install_api_port (self));
  espy_api_client_set_timeouts (self->api, self->api_timeout_ms, 0, 0, self->api_timeout_ms);
  if (self->api_key != NULL && !espy_api_client_set_encryption_key (self->api, self->api_key, &error))
    {
      info_call_done (call, NULL, error);
      return;
    }
  espy_api_client_connect_async (self->api, self->cancellable, info_connect_cb, call);
}

static void
old_info_cb (EspyInstallJob    *self,
             EspyApiDeviceInfo *info,
             GError            *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      fail (self, g_error_copy (error));
      return;
    }
  if (info != NULL)
    {
      if (info->compilation_time != NULL && *info->compilation_time != '\0')
        self->old_compilation_time = g_strdup (info->compilation_time);
      if (info->esphome_version != NULL && *info->esphome_version != '\0')
        set_string (self, &self->old_version, info->esphome_version, PROP_OLD_VERSION);
      log_note (self, _("Before: ESPHome %s, built %s"), self->old_version ? self->old_version : "?",
                self->old_compilation_time ? self->old_compilation_time : "?");
    }
  else
    /* Not fatal: the device may have no API or be busy; the check after
     * the reboot then has less to compare. */
    log_note (self, _("Could not read the device information before the upload: %s"), error->message);
  prepare_next (self);
}

static void
prepare_old_info (EspyInstallJob *self)
{
  if (!has_api (self))
    {
      prepare_next (self);
      return;
    }
  read_device_info (self, old_info_cb);
}

/* PREP_TRANSPORT -------------------------------------------------------------- */

static void
transport_probe_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(EspyInstallJob) self = user_data;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection != NULL)
    g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  if (self->task == NULL)
    return;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  if (connection != NULL)
    set_transport_used (self, ESPY_INSTALL_TRANSPORT_OTA, _("the OTA port answers"));
  else if (has_web_ota (self))
    set_transport_used (self, ESPY_INSTALL_TRANSPORT_WEB,
                        _("the OTA port does not answer and the device has web server OTA"));
  else
    /* The OTA client explains the failure better than a probe can. */
    set_transport_used (self, ESPY_INSTALL_TRANSPORT_OTA,
                        _("the OTA port does not answer and the device has no web server OTA"));
  prepare_next (self);
}

static void
prepare_transport (EspyInstallJob *self)
{
  switch (self->transport)
    {
    case ESPY_INSTALL_TRANSPORT_OTA:
      set_transport_used (self, ESPY_INSTALL_TRANSPORT_OTA, _("chosen"));
      prepare_next (self);
      return;
    case ESPY_INSTALL_TRANSPORT_WEB:
      set_transport_used (self, ESPY_INSTALL_TRANSPORT_WEB, _("chosen"));
      prepare_next (self);
      return;
    case ESPY_INSTALL_TRANSPORT_AUTO:
    default:
      break;
    }
  if (!has_native_ota (self) && has_web_ota (self))
    {
      set_transport_used (self, ESPY_INSTALL_TRANSPORT_WEB,
                          _("the configuration has web server OTA and no native OTA"));
      prepare_next (self);
      return;
    }
  if (!has_web_ota (self))
    {
      set_transport_used (self, ESPY_INSTALL_TRANSPORT_OTA, _("the device has native OTA only"));
      prepare_next (self);
      return;
    }
  /* Both configured: native OTA when its port answers. A probe is connect
   * and close, which the device does not count as a failed session. */
  if (self->probe == NULL)
    {
      self->probe = g_socket_client_new ();
      g_socket_client_set_enable_proxy (self->probe, FALSE);
    }
  g_socket_client_set_timeout (self->probe, PROBE_TIMEOUT_S);
  g_socket_client_connect_to_host_async (self->probe, install_host (self), install_ota_port (self),
                                         self->cancellable, transport_probe_cb, g_object_ref (self));
}

static void
prepare (EspyInstallJob *self)
{
  switch (self->prep_step)
    {
    case PREP_BUILD: prepare_build (self); break;
    case PREP_CHECK: prepare_check (self); break;
    case PREP_SECRETS: prepare_secrets (self); break;
    case PREP_OLD_INFO: prepare_old_info (self); break;
    case PREP_TRANSPORT: prepare_transport (self); break;
    case PREP_DONE:
    default:
      step_done (self);
      break;
    }
}

/* --- CONNECTING / UPLOADING ---------------------------------------------------- */

static EspyInstallState
state_for_ota_stage (EspyOtaStage stage)
{
  switch (stage)
    {
    case ESPY_OTA_STAGE_IDLE:
    case ESPY_OTA_STAGE_CONNECT:
    case ESPY_OTA_STAGE_HANDSHAKE:
    case ESPY_OTA_STAGE_AUTH:
      return ESPY_INSTALL_STATE_CONNECTING;
    case ESPY_OTA_STAGE_PREPARE:
    case ESPY_OTA_STAGE_UPLOAD:
    case ESPY_OTA_STAGE_VERIFY:
    case ESPY_OTA_STAGE_REBOOT:
    case ESPY_OTA_STAGE_DONE:
    default:
      return ESPY_INSTALL_STATE_UPLOADING;
    }
}

static void
ota_stage_changed_cb (GObject        *client,
                      guint           stage,
                      EspyInstallJob *self)
{
  if (self->ota_stage != (EspyOtaStage) stage)
    {
      self->ota_stage = stage;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OTA_STAGE]);
    }
  if (stage == ESPY_OTA_STAGE_UPLOAD)
    {
      /* A retry (or a Digest resend) starts the byte count again. */
      self->upload_started_us = g_get_monotonic_time ();
      self->last_sample_us = 0;
      self->rate_sample_us = 0;
    }
  /* A retry goes back to CONNECTING; DONE is the end of the upload step. */
  if (stage == ESPY_OTA_STAGE_DONE)
    return;
  if (self->state == state_for_ota_stage (stage))
    update_status_text (self);
  else
    set_state (self, state_for_ota_stage (stage));
}

static void
progress (EspyInstallJob *self,
          guint64         sent,
          guint64         acked,
          guint64         total,
          double          client_rate)
{
  gint64 now = g_get_monotonic_time ();
  gboolean last = total > 0 && acked >= total;
  double fraction;
  int eta = -1;

  /* The attempt's rate samples, about every RATE_SAMPLE_US. */
  if (self->upload_started_us != 0 && (self->last_sample_us == 0 || last
                                       || now - self->last_sample_us >= RATE_SAMPLE_US))
    {
      espy_install_attempt_add_sample (self->attempt, (guint) ((now - self->upload_started_us) / 1000),
                                       sent, acked);
      self->last_sample_us = now;
    }
  self->attempt->bytes_sent = MAX (self->attempt->bytes_sent, sent);

  /* Rate: an exponential average of samples RATE_SAMPLE_US apart, started
   * from the client's average so the first figure is not a burst. */
  if (self->rate_sample_us == 0 || acked < self->rate_sample_bytes)
    {
      self->rate_sample_us = now;
      self->rate_sample_bytes = acked;
    }
  else if (now - self->rate_sample_us >= RATE_SAMPLE_US)
    {
      double sample = (double) (acked - self->rate_sample_bytes) * G_USEC_PER_SEC
                      / (double) (now - self->rate_sample_us);

      if (self->rate <= 0.0)
        self->rate = client_rate > 0.0 ? client_rate : sample;
      else
        self->rate = RATE_WEIGHT * sample + (1.0 - RATE_WEIGHT) * self->rate;
      self->rate_sample_us = now;
      self->rate_sample_bytes = acked;
    }

  self->bytes_sent = acked;
  self->bytes_total = total;
  if (!last && now - self->last_notify_us < NOTIFY_INTERVAL_US)
    return;
  self->last_notify_us = now;

  fraction = total > 0 ? CLAMP ((double) acked / (double) total, 0.0, 1.0) : 0.0;
  if (self->rate > 0.0 && total >= acked)
    eta = (int) ((double) (total - acked) / self->rate + 0.5);

  g_object_freeze_notify (G_OBJECT (self));
  self->fraction = fraction;
  self->eta_seconds = eta;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_SENT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_TOTAL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ETA_SECONDS]);
  update_status_text (self);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
ota_progress_cb (EspyOtaClient  *client,
                 guint64         sent,
                 guint64         acked,
                 guint64         total,
                 EspyInstallJob *self)
{
  progress (self, sent, acked, total, espy_ota_client_get_rate (client));
}

/* The web server has no acks: bytes written are what it took. */
static void
web_progress_cb (EspyWebOtaClient *client,
                 guint64           sent,
                 guint64           total,
                 EspyInstallJob   *self)
{
  progress (self, sent, sent, total, 0.0);
}

/* A password the device wants and nobody gave: the front end asks. */
static GError *
maybe_password_required (EspyInstallJob *self,
                         GError         *error)
{
  const char *what = NULL;

  if (g_error_matches (error, ESPY_OTA_ERROR, ESPY_OTA_ERROR_PASSWORD_REQUIRED))
    what = _("The device asks for its OTA password, and neither its configuration nor the keyring has "
             "one. Enter the OTA password (ota: password: in its YAML).");
  else if (g_error_matches (error, ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_AUTH_REQUIRED))
    what = _("The device’s web server asks for a user name and password, and neither its configuration "
             "nor the keyring has them. Enter the web server credentials (web_server: auth: in its YAML).");
  if (what == NULL)
    return error;
  g_error_free (error);
  return g_error_new_literal (ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_PASSWORD_REQUIRED, what);
}

static void
upload_succeeded (EspyInstallJob *self,
                  guint64         acked,
                  guint64         total)
{
  g_object_freeze_notify (G_OBJECT (self));
  self->bytes_sent = acked;
  self->bytes_total = total;
  self->fraction = 1.0;
  self->eta_seconds = 0;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_SENT]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_TOTAL]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ETA_SECONDS]);
  g_object_thaw_notify (G_OBJECT (self));
  log_note (self, _("Uploaded %llu bytes"), (unsigned long long) total);
  step_done (self);
}

static void
upload_failed (EspyInstallJob *self,
               EspyOtaStage    failed_stage,
               GError         *error)
{
  /* Fail in the state of the OTA stage that failed. */
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && failed_stage != ESPY_OTA_STAGE_IDLE)
    set_state (self, state_for_ota_stage (failed_stage));
  fail (self, maybe_password_required (self, error));
}

static void
upload_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(EspyInstallJob) self = user_data;
  EspyOtaClient *client = ESPY_OTA_CLIENT (source);
  g_autoptr(GError) error = NULL;

  if (!espy_ota_client_upload_finish (client, result, &error))
    {
      int code = espy_ota_client_get_device_code (client);

      if (self->task == NULL)
        return;
      if (code != self->device_code)
        {
          self->device_code = code;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE_CODE]);
        }
      upload_failed (self, espy_ota_client_get_failed_stage (client), g_steal_pointer (&error));
      return;
    }
  if (self->task == NULL)
    return;

  self->attempt->compressed = espy_ota_client_get_compressed (client);
  self->attempt->bytes_sent = espy_ota_client_get_bytes_sent (client);
  g_signal_handlers_disconnect_by_data (client, self);
  upload_succeeded (self, espy_ota_client_get_bytes_acked (client), espy_ota_client_get_total (client));
  g_clear_object (&self->client);
}

static void
web_upload_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(EspyInstallJob) self = user_data;
  EspyWebOtaClient *client = ESPY_WEB_OTA_CLIENT (source);
  g_autoptr(GError) error = NULL;

  if (!espy_web_ota_client_upload_finish (client, result, &error))
    {
      if (self->task == NULL)
        return;
      if (espy_web_ota_client_get_response (client) != NULL)
        log_note (self, _("The web server answered: %s"), espy_web_ota_client_get_response (client));
      upload_failed (self, espy_web_ota_client_get_failed_stage (client), g_steal_pointer (&error));
      return;
    }
  if (self->task == NULL)
    return;
  self->attempt->bytes_sent = espy_web_ota_client_get_bytes_sent (client);
  g_signal_handlers_disconnect_by_data (client, self);
  upload_succeeded (self, espy_web_ota_client_get_total (client), espy_web_ota_client_get_total (client));
  g_clear_object (&self->web_client);
}

static void
upload (EspyInstallJob *self)
{
  self->bytes_total = espy_firmware_image_get_size (self->image);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_TOTAL]);

  if (self->transport_used == ESPY_INSTALL_TRANSPORT_WEB)
    {
      log_note (self, _("Uploading to the web server at %s:%u"), install_host (self),
                (guint) install_web_port (self));
      self->web_client = espy_web_ota_client_new (install_host (self), install_web_port (self));
      espy_web_ota_client_set_credentials (self->web_client, self->web_user, self->web_password);
      espy_web_ota_client_set_filename (self->web_client, espy_firmware_image_get_name (self->image));
      g_signal_connect (self->web_client, "stage-changed", G_CALLBACK (ota_stage_changed_cb), self);
      g_signal_connect (self->web_client, "progress", G_CALLBACK (web_progress_cb), self);
      espy_web_ota_client_upload_async (self->web_client, self->image, self->cancellable,
                                        web_upload_cb, g_object_ref (self));
      return;
    }

  log_note (self, _("Uploading over native OTA to %s:%u"), install_host (self), (guint) install_ota_port (self));
  self->client = espy_ota_client_new (install_host (self), install_ota_port (self));
  espy_ota_client_set_password (self->client, self->password);
  espy_ota_client_set_retries (self->client, self->retries, self->retry_delay_ms);
  g_signal_connect (self->client, "stage-changed", G_CALLBACK (ota_stage_changed_cb), self);
  g_signal_connect (self->client, "progress", G_CALLBACK (ota_progress_cb), self);
  espy_ota_client_upload_async (self->client, self->image, self->cancellable,
                                upload_cb, g_object_ref (self));
}

/* --- REBOOTING ----------------------------------------------------------------- */

/* Back is whichever comes first: mDNS announcing the device again (a fresh
 * record after the upload), its API port accepting a connection, or, when
 * the device has neither (and for the second half of the wait, in case the
 * API is configured but unreachable), the transport's own port. */

static void probe_round (EspyInstallJob *self);

static void
back (EspyInstallJob *self,
      const char     *how)
{
  stop_waiting (self);
  g_clear_object (&self->probe);
  log_note (self, _("The device is back after %.1f s (%s)"),
            (g_get_monotonic_time () - self->reboot_started_us) / (double) G_USEC_PER_SEC, how);
  step_done (self);
}

/* mDNS saw the device after the upload ended. */
static gboolean
mdns_back (EspyInstallJob *self)
{
  gint64 seen = 0;

  return self->watch_mdns && self->reboot_grace_over
         && espy_device_get_last_seen (self->device, ESPY_DEVICE_SOURCE_MDNS, &seen, NULL)
         && seen > self->reboot_started_us;
}

static gboolean
probe_transport_now (EspyInstallJob *self)
{
  gint64 half = (self->reboot_deadline_us - self->reboot_started_us) / 2;

  return (!self->watch_mdns && !self->probe_api)
         || g_get_monotonic_time () >= self->reboot_started_us + half;
}

static void
device_sources_cb (EspyDevice     *device,
                   GParamSpec     *pspec,
                   EspyInstallJob *self)
{
  if (mdns_back (self))
    back (self, _("announced over mDNS"));
}

static gboolean
probe_timer_cb (gpointer user_data)
{
  EspyInstallJob *self = user_data;

  self->wait_id = 0;
  self->reboot_grace_over = TRUE;
  probe_round (self);
  return G_SOURCE_REMOVE;
}

static void
not_back (EspyInstallJob *self)
{
  guint seconds = (guint) ((self->reboot_deadline_us - self->reboot_started_us + G_USEC_PER_SEC / 2)
                           / G_USEC_PER_SEC);
  g_autofree char *what = NULL;

  if (self->watch_mdns && self->probe_api)
    what = g_strdup_printf (_("no mDNS announcement, and its API port at %s:%u stays closed"),
                            install_host (self), (guint) install_api_port (self));
  else if (self->probe_api)
    what = g_strdup_printf (_("its API port at %s:%u stays closed"),
                            install_host (self), (guint) install_api_port (self));
  else if (self->watch_mdns)
    what = g_strdup_printf (_("no mDNS announcement, and its port at %s:%u stays closed"),
                            install_host (self), (guint) install_transport_port (self));
  else
    what = g_strdup_printf (_("its port at %s:%u stays closed"),
                            install_host (self), (guint) install_transport_port (self));

  espy_install_attempt_set_string (self->attempt, &self->attempt->verify, "not-back");
  fail (self, g_error_new (ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_NOT_BACK,
                           g_dngettext (GETTEXT_PACKAGE,
                                        "The firmware was uploaded, but the device did not come back "
                                        "within %u second after restarting (%s). It may be stuck starting "
                                        "the new firmware: check its power and its serial log.",
                                        "The firmware was uploaded, but the device did not come back "
                                        "within %u seconds after restarting (%s). It may be stuck starting "
                                        "the new firmware: check its power and its serial log.",
                                        seconds),
                           seconds, what));
}

typedef struct {
  EspyInstallJob *self;
  gboolean        api;   /* the API port, else the transport's */
} Probe;

static void
probe_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(EspyInstallJob) self = probe->self;
  gboolean api = probe->api;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now;

  g_free (probe);
  connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  if (connection != NULL)
    g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  /* Stale: the job ended, or the device was back another way. */
  if (self->task == NULL || self->state != ESPY_INSTALL_STATE_REBOOTING
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (connection != NULL)
    {
      back (self, api ? _("its API port answered") : _("its port answered"));
      return;
    }
  if (--self->probes_pending > 0)
    return;

  if (mdns_back (self))
    {
      back (self, _("announced over mDNS"));
      return;
    }
  now = g_get_monotonic_time ();
  if (now >= self->reboot_deadline_us)
    {
      not_back (self);
      return;
    }
  update_status_text (self);
  self->wait_id = g_timeout_add ((guint) MIN (REBOOT_POLL_MS, (self->reboot_deadline_us - now) / 1000 + 1),
                                 probe_timer_cb, self);
}

/* Connect and close at once: never a word of OTA or of the API, so the
 * device does not count a failed session. */
static void
probe_port (EspyInstallJob *self,
            guint16         port,
            gboolean        api)
{
  gint64 left_s = (self->reboot_deadline_us - g_get_monotonic_time ()) / G_USEC_PER_SEC;
  Probe *probe = g_new0 (Probe, 1);

  if (self->probe == NULL)
    {
      self->probe = g_socket_client_new ();
      g_socket_client_set_enable_proxy (self->probe, FALSE);
    }
  g_socket_client_set_timeout (self->probe, (guint) CLAMP (left_s, 1, REBOOT_CONNECT_TIMEOUT));
  probe->self = g_object_ref (self);
  probe->api = api;
  self->probes_pending++;
  g_socket_client_connect_to_host_async (self->probe, install_host (self), port,
                                         self->probe_cancellable, probe_cb, probe);
}

/* One look: mDNS, then the ports, in parallel; the next round starts
 * REBOOT_POLL_MS after the last probe of this one failed. */
static void
probe_round (EspyInstallJob *self)
{
  gint64 now = g_get_monotonic_time ();

  if (mdns_back (self))
    {
      back (self, _("announced over mDNS"));
      return;
    }
  if (self->probe_api)
    probe_port (self, install_api_port (self), TRUE);
  if (probe_transport_now (self) && (!self->probe_api || install_transport_port (self) != install_api_port (self)))
    probe_port (self, install_transport_port (self), FALSE);
  if (self->probes_pending > 0)
    return;
  /* Only mDNS to wait for (the transport's port comes in later). */
  if (now >= self->reboot_deadline_us)
    {
      not_back (self);
      return;
    }
  update_status_text (self);
  self->wait_id = g_timeout_add ((guint) MIN (REBOOT_POLL_MS, (self->reboot_deadline_us - now) / 1000 + 1),
                                 probe_timer_cb, self);
}

static void
wait_for_reboot (EspyInstallJob *self)
{
  guint grace = MIN (REBOOT_GRACE_MS, self->reboot_timeout_ms / 4);

  self->reboot_started_us = g_get_monotonic_time ();
  self->reboot_deadline_us = self->reboot_started_us + (gint64) self->reboot_timeout_ms * 1000;
  self->reboot_grace_over = FALSE;
  self->watch_mdns = (espy_device_get_sources (self->device) & ESPY_DEVICE_SOURCES_MDNS) != 0;
  self->probe_api = has_api (self);
  self->probe_cancellable = g_cancellable_new ();
  /* A device that left mDNS while restarting comes back as a new record. */
  if (self->watch_mdns)
    self->sources_id = g_signal_connect (self->device, "notify::sources", G_CALLBACK (device_sources_cb), self);
  update_status_text (self);
  self->wait_id = g_timeout_add (grace, probe_timer_cb, self);
}

/* --- VERIFYING ----------------------------------------------------------------- */

static void
verified (EspyInstallJob *self,
          const char     *how)
{
  stop_waiting (self);
  if (self->new_version == NULL)
    set_string (self, &self->new_version, espy_device_get_version (self->device), PROP_NEW_VERSION);
  espy_install_attempt_set_string (self->attempt, &self->attempt->verify, how);
  step_done (self);
}

static void verify_api (EspyInstallJob *self);

static gboolean
verify_retry_cb (gpointer user_data)
{
  EspyInstallJob *self = user_data;

  self->wait_id = 0;
  verify_api (self);
  return G_SOURCE_REMOVE;
}

static void
new_info_cb (EspyInstallJob    *self,
             EspyApiDeviceInfo *info,
             GError            *error)
{
  gboolean same_build;
  gboolean wrong_version;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      fail (self, g_error_copy (error));
      return;
    }
  if (info == NULL)
    {
      /* The API starts a moment after the OTA or web port. */
      if (g_get_monotonic_time () + API_RETRY_MS * 1000 < self->verify_deadline_us)
        {
          self->wait_id = g_timeout_add (API_RETRY_MS, verify_retry_cb, self);
          return;
        }
      log_note (self, _("Could not read the device information after the reboot: %s"), error->message);
      verified (self, "back");
      return;
    }

  set_string (self, &self->new_version,
              info->esphome_version != NULL && *info->esphome_version != '\0' ? info->esphome_version : NULL,
              PROP_NEW_VERSION);
  set_string (self, &self->new_compilation_time,
              info->compilation_time != NULL && *info->compilation_time != '\0' ? info->compilation_time : NULL,
              PROP_NEW_COMPILATION_TIME);
  log_note (self, _("After: ESPHome %s, built %s"), self->new_version ? self->new_version : "?",
            self->new_compilation_time ? self->new_compilation_time : "?");

  same_build = self->old_compilation_time != NULL && self->new_compilation_time != NULL
               && g_str_equal (self->old_compilation_time, self->new_compilation_time);
  wrong_version = self->expected_version != NULL && self->new_version != NULL
                  && !g_str_equal (self->expected_version, self->new_version);
  if (same_build || wrong_version)
    {
      g_autofree char *detail = NULL;

      espy_install_attempt_set_string (self->attempt, &self->attempt->verify, "old-build");
      if (same_build)
        detail = g_strdup_printf (_("it reports the same build time as before (%s)"), self->new_compilation_time);
      else
        detail = g_strdup_printf (_("it reports ESPHome %s instead of %s"), self->new_version,
                                  self->expected_version);
      fail (self, g_error_new (ESPY_INSTALL_ERROR, ESPY_INSTALL_ERROR_OLD_FIRMWARE,
                               _("The firmware was uploaded but the device still runs the old firmware: "
                                 "%s. It may have rolled back to the previous build after failing to start "
                                 "the new one (check its serial log), or the image was an old build: "
                                 "build it again and install."),
                               detail));
      return;
    }
  verified (self, self->old_compilation_time != NULL && self->new_compilation_time != NULL ? "new-build"
                                                                                            : "back");
}

static void
verify_api (EspyInstallJob *self)
{
  read_device_info (self, new_info_cb);
}

static gboolean
verify_timeout_cb (gpointer user_data)
{
  EspyInstallJob *self = user_data;

  self->wait_id = 0;
  verified (self, "back");
  return G_SOURCE_REMOVE;
}

static void
device_version_cb (EspyDevice     *device,
                   GParamSpec     *pspec,
                   EspyInstallJob *self)
{
  if (g_strcmp0 (espy_device_get_version (device), self->old_version) != 0)
    verified (self, "new-build");
}

static void
verify (EspyInstallJob *self)
{
  EspyDeviceSources reporting = ESPY_DEVICE_SOURCES_MDNS | ESPY_DEVICE_SOURCES_API;

  self->verify_deadline_us = g_get_monotonic_time () + (gint64) self->verify_timeout_ms * 1000;
  /* The API says exactly what runs: version and compilation time. */
  if (has_api (self) && self->verify_timeout_ms > 0)
    {
      verify_api (self);
      return;
    }
  /* Else mDNS: give it a moment to see the restarted device. */
  if (g_strcmp0 (espy_device_get_version (self->device), self->old_version) != 0
      || (espy_device_get_sources (self->device) & reporting) == 0
      || self->verify_timeout_ms == 0)
    {
      verified (self, "back");
      return;
    }
  self->version_id = g_signal_connect (self->device, "notify::version",
                                       G_CALLBACK (device_version_cb), self);
  self->wait_id = g_timeout_add (self->verify_timeout_ms, verify_timeout_cb, self);
}

/* --- the device's log around a failure ------------------------------------------ */

/* RAW (one message, maybe several lines) as the history keeps it: secrets
 * redacted like everywhere in the history (ESPHome's ESC[5m…ESC[6m spans,
 * "password: …" and keys), plus every secret the job holds; ANSI codes
 * removed; one entry per text line. */
static void
add_device_lines (EspyInstallJob *self,
                  GPtrArray      *lines,
                  const char     *raw)
{
  const char *held[] = { self->password, self->web_password, self->api_key };
  const char *secrets[G_N_ELEMENTS (held) + 1] = { NULL };
  g_autofree char *redacted = NULL;
  g_autofree char *plain = NULL;
  g_auto(GStrv) parts = NULL;
  guint n = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (held); i++)
    if (held[i] != NULL && *held[i] != '\0')
      secrets[n++] = held[i];
  redacted = espy_report_redact (raw, secrets);
  plain = espy_build_strip_ansi (redacted);
  parts = g_strsplit (plain, "\n", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_strchomp (parts[i]);
      if (*parts[i] != '\0')
        g_ptr_array_add (lines, g_strdup (parts[i]));
    }
}

static void
store_device_log (EspyInstallJob *self)
{
  g_autoptr(GPtrArray) lines = g_steal_pointer (&self->capture_lines);

  if (lines == NULL || lines->len == 0)
    return;
  g_clear_pointer (&self->device_log, g_strfreev);
  g_ptr_array_set_free_func (lines, NULL);
  g_ptr_array_add (lines, NULL);
  self->device_log = (char **) g_ptr_array_free (g_steal_pointer (&lines), FALSE);
}

static void
end_capture (EspyInstallJob *self)
{
  g_clear_handle_id (&self->capture_id, g_source_remove);
  if (self->capture != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->capture, self);
      espy_log_session_stop (self->capture);
      g_clear_object (&self->capture);
    }
  store_device_log (self);
}

static void
capture_line_cb (EspyLogSession *session,
                 EspyLogLine    *line,
                 const char     *raw,
                 EspyInstallJob *self)
{
  if (self->capture_lines->len < ESPY_INSTALL_DEVICE_LOG_MAX)
    add_device_lines (self, self->capture_lines, raw);
  if (self->capture_lines->len > ESPY_INSTALL_DEVICE_LOG_MAX)
    g_ptr_array_set_size (self->capture_lines, ESPY_INSTALL_DEVICE_LOG_MAX);
  self->capture_quiet_since_us = g_get_monotonic_time ();
}

static void
capture_connected_cb (EspyLogSession *session,
                      EspyInstallJob *self)
{
  self->capture_quiet_since_us = g_get_monotonic_time ();
}

static gboolean
capture_poll_cb (gpointer user_data)
{
  EspyInstallJob *self = user_data;
  EspyLogSessionState state = espy_log_session_get_state (self->capture);
  gint64 now = g_get_monotonic_time ();
  gboolean done;

  done = now >= self->capture_deadline_us
         || self->capture_lines->len >= ESPY_INSTALL_DEVICE_LOG_MAX
         /* No prompt from a failed install: without the key there is no log. */
         || state == ESPY_LOG_SESSION_STATE_KEY_NEEDED
         || state == ESPY_LOG_SESSION_STATE_FAILED
         || (state == ESPY_LOG_SESSION_STATE_STREAMING && self->capture_quiet_since_us != 0
             && now - self->capture_quiet_since_us >= CAPTURE_QUIET_MS * G_TIME_SPAN_MILLISECOND);
  if (!done)
    return G_SOURCE_CONTINUE;
  self->capture_id = 0;
  log_note (self, _("Read %u lines of the device's log"), self->capture_lines->len);
  fail_now (self, g_steal_pointer (&self->capture_error));
  return G_SOURCE_REMOVE;
}

/* The device was reached during this run, and something can stream its log. */
static gboolean
can_capture (EspyInstallJob *self,
             guint16        *web_port)
{
  gboolean reached = self->state == ESPY_INSTALL_STATE_UPLOADING
                     || self->state == ESPY_INSTALL_STATE_VERIFYING
                     || self->device_code >= 0;

  *web_port = self->web_port != 0 ? self->web_port : espy_device_get_web_port (self->device);
  return self->log_capture_ms > 0 && reached && (has_api (self) || *web_port != 0);
}

/* On a failure (not a cancellation, not in PREPARING: no device involved):
 * keeps the last lines of the application's log stream, and when the
 * device was reached, follows its log for a moment (its config dump, what
 * it said after the reboot). TRUE when that capture started: it ends with
 * fail_now (ERROR). */
static gboolean
capture_device_log (EspyInstallJob *self,
                    GError         *error)
{
  guint16 web_port = 0;
  EspyLogSession *session;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || !espy_install_state_is_active (self->state)
      || self->state == ESPY_INSTALL_STATE_PREPARING)
    return FALSE;

  g_clear_pointer (&self->capture_lines, g_ptr_array_unref);
  self->capture_lines = g_ptr_array_new_with_free_func (g_free);
  if (self->log_session != NULL)
    {
      g_auto(GStrv) recent = espy_log_session_dup_recent_lines (self->log_session, ESPY_INSTALL_DEVICE_LOG_MAX / 2);
      g_autoptr(GPtrArray) before = g_ptr_array_new_with_free_func (g_free);
      guint skip;

      for (guint i = 0; recent[i] != NULL; i++)
        add_device_lines (self, before, recent[i]);
      /* Multi-line messages: keep the newest half of the room. */
      skip = before->len > ESPY_INSTALL_DEVICE_LOG_MAX / 2 ? before->len - ESPY_INSTALL_DEVICE_LOG_MAX / 2 : 0;
      for (guint i = skip; i < before->len; i++)
        g_ptr_array_add (self->capture_lines, g_strdup (g_ptr_array_index (before, i)));
    }

  if (!can_capture (self, &web_port))
    {
      store_device_log (self);
      return FALSE;
    }

  stop_waiting (self);
  self->capture_error = error;
  session = espy_log_session_new (self->device_name, install_host (self), install_api_port (self));
  self->capture = session;
  espy_log_session_set_config (session, self->config);
  espy_log_session_set_has_api (session, has_api (self));
  espy_log_session_set_api_encryption (session, espy_device_get_api_encryption (self->device));
  espy_log_session_set_web_port (session, web_port);
  espy_log_session_set_web_credentials (session, self->web_user, self->web_password);
  espy_log_session_set_use_keyring (session, self->use_keyring);
  if (self->api_key != NULL)
    espy_log_session_set_key (session, self->api_key, NULL);
  espy_log_session_set_backoff (session, 250, 1000);
  espy_log_session_set_timeouts (session, MIN (self->log_capture_ms, self->api_timeout_ms), 0, 0, 0);
  g_signal_connect (session, "line", G_CALLBACK (capture_line_cb), self);
  g_signal_connect (session, "connected", G_CALLBACK (capture_connected_cb), self);
  self->capture_deadline_us = g_get_monotonic_time () + (gint64) self->log_capture_ms * G_TIME_SPAN_MILLISECOND;
  self->capture_quiet_since_us = 0;
  set_status_text (self, _("Reading the device's log…"));
  log_note (self, _("Reading the device's log to record what it says about the failure"));
  espy_log_session_start (session);
  self->capture_id = g_timeout_add (CAPTURE_POLL_MS, capture_poll_cb, self);
  return TRUE;
}

/* --- the pipeline -------------------------------------------------------------- */

/* Starts the work of the current state. */
static void
step_start (EspyInstallJob *self)
{
  switch (self->state)
    {
    case ESPY_INSTALL_STATE_PREPARING:
      self->prep_step = PREP_BUILD;
      self->secret_index = 0;
      prepare (self);
      break;
    case ESPY_INSTALL_STATE_CONNECTING:
      upload (self);
      break;
    case ESPY_INSTALL_STATE_REBOOTING:
      wait_for_reboot (self);
      break;
    case ESPY_INSTALL_STATE_VERIFYING:
      verify (self);
      break;
    case ESPY_INSTALL_STATE_PENDING:
    case ESPY_INSTALL_STATE_UPLOADING:
    case ESPY_INSTALL_STATE_SUCCEEDED:
    case ESPY_INSTALL_STATE_FAILED:
    case ESPY_INSTALL_STATE_CANCELLED:
    default:
      g_assert_not_reached ();
    }
}

void
espy_install_job_run_async (EspyInstallJob      *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, espy_install_job_run_async);

  if (self->state == ESPY_INSTALL_STATE_CANCELLED)
    {
      g_task_return_error (task, g_error_copy (self->error));
      return;
    }
  if (self->state != ESPY_INSTALL_STATE_PENDING || self->task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("This install has already run"));
      return;
    }

  self->task = g_steal_pointer (&task);
  self->cancellable = g_cancellable_new ();
  self->cancel_source = g_cancellable_source_new (self->cancellable);
  g_source_set_callback (self->cancel_source, G_SOURCE_FUNC (cancelled_cb), self, NULL);
  g_source_attach (self->cancel_source, g_task_get_context (self->task));
  if (cancellable != NULL)
    {
      self->caller_cancellable = g_object_ref (cancellable);
      self->caller_cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (caller_cancelled_cb),
                                                      g_object_ref (self->cancellable), g_object_unref);
    }

  g_clear_pointer (&self->attempt, espy_install_attempt_unref);
  self->attempt = espy_install_attempt_new ();
  espy_install_attempt_set_string (self->attempt, &self->attempt->device_name, self->device_name);

  g_object_freeze_notify (G_OBJECT (self));
  self->started = g_get_real_time ();
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STARTED]);
  set_string (self, &self->old_version, espy_device_get_version (self->device), PROP_OLD_VERSION);
  g_object_thaw_notify (G_OBJECT (self));

  /* The task holds a reference on SELF until it returns. */
  step_done (self);
}

gboolean
espy_install_job_run_finish (EspyInstallJob  *self,
                             GAsyncResult    *result,
                             GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
espy_install_job_cancel (EspyInstallJob *self)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));

  if (self->task != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      return;
    }
  if (self->state == ESPY_INSTALL_STATE_PENDING)
    {
      g_object_freeze_notify (G_OBJECT (self));
      g_clear_error (&self->error);
      self->error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The install was cancelled"));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
      set_state (self, ESPY_INSTALL_STATE_CANCELLED);
      g_object_thaw_notify (G_OBJECT (self));
    }
}

/* --- construction -------------------------------------------------------------- */

EspyInstallJob *
espy_install_job_new (EspyDevice        *device,
                      EspyFirmwareImage *image)
{
  g_return_val_if_fail (ESPY_IS_DEVICE (device), NULL);
  g_return_val_if_fail (image == NULL || ESPY_IS_FIRMWARE_IMAGE (image), NULL);

  return g_object_new (ESPY_TYPE_INSTALL_JOB, "device", device, "image", image, NULL);
}

#define RETURN_IF_RUN(self) \
  g_return_if_fail ((self)->state == ESPY_INSTALL_STATE_PENDING && (self)->task == NULL)

void
espy_install_job_set_host (EspyInstallJob *self,
                           const char     *host)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  g_free (self->host);
  self->host = (host != NULL && *host != '\0') ? g_strdup (host) : NULL;
}

void
espy_install_job_set_ota_port (EspyInstallJob *self,
                               guint16         port)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  self->ota_port = port;
}

void
espy_install_job_set_web_port (EspyInstallJob *self,
                               guint16         port)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  self->web_port = port;
}

void
espy_install_job_set_password (EspyInstallJob *self,
                               const char     *password)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  /* Given, even empty: "no password" is an answer, not a reason to look. */
  self->password_given = TRUE;
  espy_secret_string_set_non_empty (&self->password, password);
}

void
espy_install_job_set_config (EspyInstallJob   *self,
                             EspyDeviceConfig *config)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  g_return_if_fail (config == NULL || ESPY_IS_DEVICE_CONFIG (config));
  RETURN_IF_RUN (self);

  g_set_object (&self->config, config);
}

void
espy_install_job_set_web_credentials (EspyInstallJob *self,
                                      const char     *user,
                                      const char     *password)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  espy_secret_string_clear (&self->web_user);
  espy_secret_string_clear (&self->web_password);
  self->web_given = TRUE;
  if (user != NULL && *user != '\0')
    {
      self->web_user = g_strdup (user);
      self->web_password = g_strdup (password != NULL ? password : "");
    }
}

void
espy_install_job_set_api_port (EspyInstallJob *self,
                               guint16         port)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  self->api_port = port;
}

void
espy_install_job_set_api_key (EspyInstallJob *self,
                              const char     *key)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  self->api_key_given = key != NULL;
  espy_secret_string_set_non_empty (&self->api_key, key);
}

void
espy_install_job_set_use_keyring (EspyInstallJob *self,
                                  gboolean        use_keyring)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  self->use_keyring = use_keyring;
}

void
espy_install_job_set_expected_version (EspyInstallJob *self,
                                       const char     *version)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  g_free (self->expected_version);
  self->expected_version = g_strdup (version);
}

void
espy_install_job_set_transport (EspyInstallJob       *self,
                                EspyInstallTransport  transport)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  if (self->transport == transport)
    return;
  self->transport = transport;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TRANSPORT]);
}

void
espy_install_job_set_reboot_timeout (EspyInstallJob *self,
                                     guint           timeout_ms)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  self->reboot_timeout_ms = timeout_ms;
}

void
espy_install_job_set_verify_timeout (EspyInstallJob *self,
                                     guint           timeout_ms)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  self->verify_timeout_ms = timeout_ms;
}

void
espy_install_job_set_api_timeout (EspyInstallJob *self,
                                  guint           timeout_ms)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  g_return_if_fail (timeout_ms > 0);
  RETURN_IF_RUN (self);

  self->api_timeout_ms = timeout_ms;
}

void
espy_install_job_set_ota_retries (EspyInstallJob *self,
                                  guint           retries,
                                  guint           delay_ms)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  self->retries = retries;
  self->retry_delay_ms = delay_ms;
}

void
espy_install_job_set_log_session (EspyInstallJob *self,
                                  EspyLogSession *session)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  g_return_if_fail (session == NULL || ESPY_IS_LOG_SESSION (session));
  RETURN_IF_RUN (self);

  g_set_object (&self->log_session, session);
}

void
espy_install_job_set_log_capture_timeout (EspyInstallJob *self,
                                          guint           timeout_ms)
{
  g_return_if_fail (ESPY_IS_INSTALL_JOB (self));
  RETURN_IF_RUN (self);

  self->log_capture_ms = timeout_ms;
}

/* --- getters ------------------------------------------------------------------- */

EspyDevice *
espy_install_job_get_device (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return self->device;
}

const char *
espy_install_job_get_device_name (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return self->device_name;
}

EspyFirmwareImage *
espy_install_job_get_image (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return self->image;
}

EspyInstallState
espy_install_job_get_state (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), ESPY_INSTALL_STATE_PENDING);
  return self->state;
}

EspyInstallState
espy_install_job_get_failed_state (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), ESPY_INSTALL_STATE_PENDING);
  return self->failed_state;
}

EspyOtaStage
espy_install_job_get_ota_stage (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), ESPY_OTA_STAGE_IDLE);
  return self->ota_stage;
}

EspyInstallTransport
espy_install_job_get_transport (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), ESPY_INSTALL_TRANSPORT_AUTO);
  return self->transport;
}

double
espy_install_job_get_fraction (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), 0.0);
  return self->fraction;
}

guint64
espy_install_job_get_bytes_sent (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), 0);
  return self->bytes_sent;
}

guint64
espy_install_job_get_bytes_total (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), 0);
  return self->bytes_total;
}

double
espy_install_job_get_rate (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), 0.0);
  return self->rate;
}

int
espy_install_job_get_eta_seconds (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), -1);
  return self->eta_seconds;
}

static const char *
title (EspyInstallJob *self)
{
  return self->building ? _("Building the firmware") : espy_install_state_describe (self->state);
}

const char *
espy_install_job_get_title (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return title (self);
}

const char *
espy_install_job_get_status_text (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return self->status_text;
}

const GError *
espy_install_job_get_error (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return self->error;
}

int
espy_install_job_get_device_code (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), -1);
  return self->device_code;
}

const char *
espy_install_job_get_old_version (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return self->old_version;
}

const char *
espy_install_job_get_new_version (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return self->new_version;
}

const char *
espy_install_job_get_new_compilation_time (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return self->new_compilation_time;
}

gint64
espy_install_job_get_started (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), 0);
  return self->started;
}

gint64
espy_install_job_get_finished (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), 0);
  return self->finished;
}

gboolean
espy_install_job_is_final (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), FALSE);
  return espy_install_state_is_final (self->state);
}

EspyDeviceConfig *
espy_install_job_get_config (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return self->config;
}

EspyInstallTransport
espy_install_job_get_transport_used (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), ESPY_INSTALL_TRANSPORT_AUTO);
  return self->transport_used;
}

const char *
espy_install_job_get_transport_reason (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return self->transport_reason;
}

gboolean
espy_install_job_get_building (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), FALSE);
  return self->building;
}

const char *
espy_install_job_get_log (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return self->log->str;
}

const char *
espy_install_job_get_old_compilation_time (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return self->old_compilation_time;
}

const char * const *
espy_install_job_get_device_log (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return (const char * const *) self->device_log;
}

EspyInstallAttempt *
espy_install_job_get_attempt (EspyInstallJob *self)
{
  g_return_val_if_fail (ESPY_IS_INSTALL_JOB (self), NULL);
  return self->attempt;
}

/* --- GObject ------------------------------------------------------------------- */

static void
espy_install_job_dispose (GObject *object)
{
  EspyInstallJob *self = ESPY_INSTALL_JOB (object);

  /* A running task holds a reference, so nothing runs here. */
  stop_waiting (self);
  g_clear_object (&self->device);
  g_clear_object (&self->image);
  g_clear_object (&self->config);
  g_clear_object (&self->log_session);

  G_OBJECT_CLASS (espy_install_job_parent_class)->dispose (object);
}

static void
espy_install_job_finalize (GObject *object)
{
  EspyInstallJob *self = ESPY_INSTALL_JOB (object);

  clear_password (self);
  g_free (self->device_name);
  g_free (self->host);
  g_free (self->status_text);
  g_clear_error (&self->error);
  g_free (self->old_version);
  g_free (self->new_version);
  g_free (self->new_compilation_time);
  g_free (self->old_compilation_time);
  g_free (self->expected_version);
  g_free (self->transport_reason);
  g_string_free (self->log, TRUE);
  g_clear_pointer (&self->attempt, espy_install_attempt_unref);
  g_strfreev (self->device_log);
  g_clear_pointer (&self->capture_lines, g_ptr_array_unref);
  g_clear_error (&self->capture_error);

  G_OBJECT_CLASS (espy_install_job_parent_class)->finalize (object);
}

static void
espy_install_job_constructed (GObject *object)
{
  EspyInstallJob *self = ESPY_INSTALL_JOB (object);

  G_OBJECT_CLASS (espy_install_job_parent_class)->constructed (object);

  g_assert (self->device != NULL);
  self->device_name = g_strdup (espy_device_get_name (self->device));
  update_status_text (self);
}

static void
espy_install_job_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EspyInstallJob *self = ESPY_INSTALL_JOB (object);

  switch (prop_id)
    {
    case PROP_DEVICE: g_value_set_object (value, self->device); break;
    case PROP_DEVICE_NAME: g_value_set_string (value, self->device_name); break;
    case PROP_IMAGE: g_value_set_object (value, self->image); break;
    case PROP_STATE: g_value_set_enum (value, self->state); break;
    case PROP_FAILED_STATE: g_value_set_enum (value, self->failed_state); break;
    case PROP_OTA_STAGE: g_value_set_uint (value, self->ota_stage); break;
    case PROP_TRANSPORT: g_value_set_enum (value, self->transport); break;
    case PROP_FRACTION: g_value_set_double (value, self->fraction); break;
    case PROP_BYTES_SENT: g_value_set_uint64 (value, self->bytes_sent); break;
    case PROP_BYTES_TOTAL: g_value_set_uint64 (value, self->bytes_total); break;
    case PROP_RATE: g_value_set_double (value, self->rate); break;
    case PROP_ETA_SECONDS: g_value_set_int (value, self->eta_seconds); break;
    case PROP_TITLE: g_value_set_string (value, title (self)); break;
    case PROP_TRANSPORT_USED: g_value_set_enum (value, self->transport_used); break;
    case PROP_TRANSPORT_REASON: g_value_set_string (value, self->transport_reason); break;
    case PROP_BUILDING: g_value_set_boolean (value, self->building); break;
    case PROP_STATUS_TEXT: g_value_set_string (value, self->status_text); break;
    case PROP_ERROR: g_value_set_boxed (value, self->error); break;
    case PROP_DEVICE_CODE: g_value_set_int (value, self->device_code); break;
    case PROP_OLD_VERSION: g_value_set_string (value, self->old_version); break;
    case PROP_NEW_VERSION: g_value_set_string (value, self->new_version); break;
    case PROP_NEW_COMPILATION_TIME: g_value_set_string (value, self->new_compilation_time); break;
    case PROP_STARTED: g_value_set_int64 (value, self->started); break;
    case PROP_FINISHED: g_value_set_int64 (value, self->finished); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_install_job_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  EspyInstallJob *self = ESPY_INSTALL_JOB (object);

  switch (prop_id)
    {
    case PROP_DEVICE: self->device = g_value_dup_object (value); break;
    case PROP_IMAGE: self->image = g_value_dup_object (value); break;
    case PROP_TRANSPORT: espy_install_job_set_transport (self, g_value_get_enum (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_install_job_class_init (EspyInstallJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = espy_install_job_dispose;
  object_class->finalize = espy_install_job_finalize;
  object_class->constructed = espy_install_job_constructed;
  object_class->get_property = espy_install_job_get_property;
  object_class->set_property = espy_install_job_set_property;

  properties[PROP_DEVICE] =
    g_param_spec_object ("device", NULL, NULL, ESPY_TYPE_DEVICE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEVICE_NAME] = g_param_spec_string ("device-name", NULL, NULL, NULL, ro);
  properties[PROP_IMAGE] =
    g_param_spec_object ("image", NULL, NULL, ESPY_TYPE_FIRMWARE_IMAGE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, ESPY_TYPE_INSTALL_STATE, ESPY_INSTALL_STATE_PENDING, ro);
  properties[PROP_FAILED_STATE] =
    g_param_spec_enum ("failed-state", NULL, NULL, ESPY_TYPE_INSTALL_STATE, ESPY_INSTALL_STATE_PENDING, ro);
  properties[PROP_OTA_STAGE] =
    g_param_spec_uint ("ota-stage", NULL, NULL, 0, ESPY_OTA_STAGE_DONE, ESPY_OTA_STAGE_IDLE, ro);
  properties[PROP_TRANSPORT] =
    g_param_spec_enum ("transport", NULL, NULL, ESPY_TYPE_INSTALL_TRANSPORT, ESPY_INSTALL_TRANSPORT_AUTO,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] = g_param_spec_double ("fraction", NULL, NULL, 0.0, 1.0, 0.0, ro);
  properties[PROP_BYTES_SENT] = g_param_spec_uint64 ("bytes-sent", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_BYTES_TOTAL] = g_param_spec_uint64 ("bytes-total", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_RATE] = g_param_spec_double ("rate", NULL, NULL, 0.0, G_MAXDOUBLE, 0.0, ro);
  properties[PROP_ETA_SECONDS] = g_param_spec_int ("eta-seconds", NULL, NULL, -1, G_MAXINT, -1, ro);
  properties[PROP_TITLE] = g_param_spec_string ("title", NULL, NULL, NULL, ro);
  properties[PROP_STATUS_TEXT] = g_param_spec_string ("status-text", NULL, NULL, NULL, ro);
  properties[PROP_ERROR] = g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, ro);
  properties[PROP_DEVICE_CODE] = g_param_spec_int ("device-code", NULL, NULL, -1, 255, -1, ro);
  properties[PROP_OLD_VERSION] = g_param_spec_string ("old-version", NULL, NULL, NULL, ro);
  properties[PROP_NEW_VERSION] = g_param_spec_string ("new-version", NULL, NULL, NULL, ro);
  properties[PROP_NEW_COMPILATION_TIME] = g_param_spec_string ("new-compilation-time", NULL, NULL, NULL, ro);
  properties[PROP_STARTED] = g_param_spec_int64 ("started", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_FINISHED] = g_param_spec_int64 ("finished", NULL, NULL, 0, G_MAXINT64, 0, ro);

  properties[PROP_TRANSPORT_USED] =
    g_param_spec_enum ("transport-used", NULL, NULL, ESPY_TYPE_INSTALL_TRANSPORT, ESPY_INSTALL_TRANSPORT_AUTO, ro);
  properties[PROP_TRANSPORT_REASON] = g_param_spec_string ("transport-reason", NULL, NULL, NULL, ro);
  properties[PROP_BUILDING] = g_param_spec_boolean ("building", NULL, NULL, FALSE, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_LOG_LINE] =
    g_signal_new ("log-line", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, ESPY_TYPE_INSTALL_ATTEMPT | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[SIGNAL_STATE_CHANGED] =
    g_signal_new ("state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  ESPY_TYPE_INSTALL_STATE, ESPY_TYPE_INSTALL_STATE);
}

static void
espy_install_job_init (EspyInstallJob *self)
{
  self->transport = ESPY_INSTALL_TRANSPORT_AUTO;
  self->reboot_timeout_ms = ESPY_INSTALL_DEFAULT_REBOOT_TIMEOUT_MS;
  self->verify_timeout_ms = ESPY_INSTALL_DEFAULT_VERIFY_TIMEOUT_MS;
  self->api_timeout_ms = ESPY_INSTALL_DEFAULT_API_TIMEOUT_MS;
  self->retries = ESPY_OTA_DEFAULT_RETRIES;
  self->retry_delay_ms = ESPY_OTA_DEFAULT_RETRY_DELAY_MS;
  self->state = ESPY_INSTALL_STATE_PENDING;
  self->failed_state = ESPY_INSTALL_STATE_PENDING;
  self->eta_seconds = -1;
  self->device_code = -1;
  self->use_keyring = TRUE;
  self->log_capture_ms = ESPY_INSTALL_DEFAULT_LOG_CAPTURE_MS;
  self->log = g_string_new (NULL);
}
