/* espy-log-session.c: one device's log stream, kept open.
 *
 * One attempt at a time: resolve the key (once per start, again after a
 * wrong one), connect an EspyApiClient (or an EspyEventStream), read
 * DeviceInfo, subscribe, stream. Any end that a retry may fix schedules the
 * next attempt after a delay that doubles from min to max backoff and goes
 * back to min once a stream ran, or when the device said it is rebooting
 * (an OTA: follow it back quickly). Stale callbacks are recognised by the
 * object they come from no longer being the current client or stream.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-log-session.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "espy-event-stream.h"
#include "espy-secrets.h"

G_DEFINE_QUARK (espy-log-session-error-quark, espy_log_session_error)

typedef enum {
  KEY_SOURCE_NONE,
  KEY_SOURCE_GIVEN,    /* set_key(): the caller's, e.g. --key-file */
  KEY_SOURCE_CONFIG,
  KEY_SOURCE_KEYRING,
  KEY_SOURCE_USER,     /* provide_key() */
} KeySource;

/* Where the web server credentials of the latest /events attempt came from. */
typedef enum {
  WEB_SOURCE_NONE,
  WEB_SOURCE_GIVEN,    /* set_web_credentials(): the caller's */
  WEB_SOURCE_USER,     /* provide_web_credentials() */
  WEB_SOURCE_CONFIG,
  WEB_SOURCE_KEYRING,
} WebSource;

struct _EspyLogSession
{
  GObject parent_instance;

  char *name;
  char *host;
  guint16 api_port;
  guint16 web_port;
  gboolean has_api;
  EspyTristate api_encryption;
  EspyDeviceConfig *config;
  char *web_user;                /* given: set_web_credentials() */
  char *web_password;
  /* From the YAML or the keyring, looked up once per start. */
  char *found_web_user;
  char *found_web_password;
  gboolean web_resolved;
  /* From the user: provide_web_credentials(), kept while they work. */
  char *user_web_user;
  char *user_web_password;
  gboolean remember_web;
  WebSource web_source;          /* of the latest /events attempt */
  char *tried_web_user;          /* its user name, for the prompt */
  gboolean web_credentials_needed;
  EspyLogTransport transport;
  EspyLogTransport active_transport;
  EspyLogLevel level;
  gboolean dump_config;
  gboolean use_keyring;
  guint min_backoff_ms;
  guint max_backoff_ms;
  guint connect_ms;
  guint ping_ms;
  guint keepalive_ms;
  guint idle_ms;

  /* The key: resolved once per start and kept while it works. */
  char *given_key;
  char *key;
  KeySource key_source;
  gboolean key_resolved;
  gboolean remember_key;
  gboolean plaintext_fallback;   /* the device turned out not to use the key */

  gboolean running;
  guint pause_count;
  EspyLogSessionState state;
  char *status;
  GError *error;
  EspyApiDetails *details;
  guint n_connects;

  GCancellable *cancellable;     /* the current attempt */
  EspyApiClient *client;
  EspyEventStream *stream;
  guint backoff_ms;
  gint64 retry_at_us;
  guint retry_id;
  guint retry_seconds;

  /* The last lines emitted (raw), for an install's failure record. */
  GQueue recent;

  GObject *install_manager;
  gulong busy_handler;
  gulong free_handler;
  gboolean busy;
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_STATUS,
  PROP_RETRY_SECONDS,
  PROP_ERROR,
  PROP_DETAILS,
  PROP_TRANSPORT,
  PROP_ACTIVE_TRANSPORT,
  PROP_LEVEL,
  PROP_DUMP_CONFIG,
  PROP_ENCRYPTED,
  N_PROPS
};

enum {
  SIGNAL_LINE,
  SIGNAL_KEY_NEEDED,
  SIGNAL_CREDENTIALS_NEEDED,
  SIGNAL_CONNECTED,
  N_SIGNALS
};

static GParamSpec *props[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (EspyLogSession, espy_log_session, G_TYPE_OBJECT)

static void begin_attempt (EspyLogSession *self);

/* --- enums and details --------------------------------------------------------- */

GType
espy_log_session_state_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { ESPY_LOG_SESSION_STATE_IDLE, "ESPY_LOG_SESSION_STATE_IDLE", "idle" },
    { ESPY_LOG_SESSION_STATE_CONNECTING, "ESPY_LOG_SESSION_STATE_CONNECTING", "connecting" },
    { ESPY_LOG_SESSION_STATE_STREAMING, "ESPY_LOG_SESSION_STATE_STREAMING", "streaming" },
    { ESPY_LOG_SESSION_STATE_RECONNECTING, "ESPY_LOG_SESSION_STATE_RECONNECTING", "reconnecting" },
    { ESPY_LOG_SESSION_STATE_KEY_NEEDED, "ESPY_LOG_SESSION_STATE_KEY_NEEDED", "key-needed" },
    { ESPY_LOG_SESSION_STATE_PAUSED, "ESPY_LOG_SESSION_STATE_PAUSED", "paused" },
    { ESPY_LOG_SESSION_STATE_FAILED, "ESPY_LOG_SESSION_STATE_FAILED", "failed" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static (g_intern_static_string ("EspyLogSessionState"), values));
  return type;
}

GType
espy_log_transport_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { ESPY_LOG_TRANSPORT_AUTO, "ESPY_LOG_TRANSPORT_AUTO", "auto" },
    { ESPY_LOG_TRANSPORT_API, "ESPY_LOG_TRANSPORT_API", "api" },
    { ESPY_LOG_TRANSPORT_EVENTS, "ESPY_LOG_TRANSPORT_EVENTS", "events" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static (g_intern_static_string ("EspyLogTransport"), values));
  return type;
}

const char *
espy_log_session_state_to_nick (EspyLogSessionState state)
{
  GEnumValue *value = g_enum_get_value (g_type_class_peek (ESPY_TYPE_LOG_SESSION_STATE), (int) state);

  return value != NULL ? value->value_nick : "unknown";
}

G_DEFINE_BOXED_TYPE (EspyApiDetails, espy_api_details, espy_api_details_copy, espy_api_details_free)

static char *
dup_or_empty (const char *s)
{
  return g_strdup (s != NULL ? s : "");
}

EspyApiDetails *
espy_api_details_new (const EspyApiDeviceInfo *info,
                      EspyApiClient           *client)
{
  EspyApiDetails *self = g_new0 (EspyApiDetails, 1);

  g_return_val_if_fail (info != NULL, self);

  self->name = dup_or_empty (info->name);
  self->friendly_name = dup_or_empty (info->friendly_name);
  self->mac = dup_or_empty (info->mac_address);
  self->esphome_version = dup_or_empty (info->esphome_version);
  self->compilation_time = dup_or_empty (info->compilation_time);
  self->model = dup_or_empty (info->model);
  self->manufacturer = dup_or_empty (info->manufacturer);
  self->project_name = dup_or_empty (info->project_name);
  self->project_version = dup_or_empty (info->project_version);
  self->suggested_area = dup_or_empty (info->suggested_area);
  self->webserver_port = info->webserver_port;
  self->uses_password = info->uses_password;
  self->has_deep_sleep = info->has_deep_sleep;
  /* proto3 has no presence: a 2024 device (no field 19) reads as FALSE,
   * which is also what a device without encryption says. */
  self->api_encryption_supported = info->api_encryption_supported ? ESPY_TRISTATE_YES : ESPY_TRISTATE_NO;
  if (client != NULL)
    {
      espy_api_client_get_api_version (client, &self->api_version_major, &self->api_version_minor);
      self->server_info = dup_or_empty (espy_api_client_get_server_info (client));
      self->encrypted = espy_api_client_get_encrypted (client);
    }
  else
    self->server_info = g_strdup ("");
  return self;
}

EspyApiDetails *
espy_api_details_copy (const EspyApiDetails *self)
{
  EspyApiDetails *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->name = g_strdup (self->name);
  copy->friendly_name = g_strdup (self->friendly_name);
  copy->mac = g_strdup (self->mac);
  copy->esphome_version = g_strdup (self->esphome_version);
  copy->compilation_time = g_strdup (self->compilation_time);
  copy->model = g_strdup (self->model);
  copy->manufacturer = g_strdup (self->manufacturer);
  copy->project_name = g_strdup (self->project_name);
  copy->project_version = g_strdup (self->project_version);
  copy->suggested_area = g_strdup (self->suggested_area);
  copy->server_info = g_strdup (self->server_info);
  return copy;
}

void
espy_api_details_free (EspyApiDetails *self)
{
  if (self == NULL)
    return;
  g_free (self->name);
  g_free (self->friendly_name);
  g_free (self->mac);
  g_free (self->esphome_version);
  g_free (self->compilation_time);
  g_free (self->model);
  g_free (self->manufacturer);
  g_free (self->project_name);
  g_free (self->project_version);
  g_free (self->suggested_area);
  g_free (self->server_info);
  g_free (self);
}

static void
add_string (JsonBuilder *b,
            const char  *key,
            const char  *value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_string_value (b, value != NULL ? value : "");
}

JsonNode *
espy_api_details_to_json (const EspyApiDetails *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  g_return_val_if_fail (self != NULL, NULL);

  json_builder_begin_object (b);
  add_string (b, "name", self->name);
  add_string (b, "friendly_name", self->friendly_name);
  add_string (b, "mac", self->mac);
  add_string (b, "esphome_version", self->esphome_version);
  add_string (b, "compilation_time", self->compilation_time);
  add_string (b, "model", self->model);
  add_string (b, "manufacturer", self->manufacturer);
  add_string (b, "project_name", self->project_name);
  add_string (b, "project_version", self->project_version);
  json_builder_set_member_name (b, "webserver_port");
  json_builder_add_int_value (b, self->webserver_port);
  json_builder_set_member_name (b, "api_encryption_supported");
  json_builder_add_boolean_value (b, self->api_encryption_supported == ESPY_TRISTATE_YES);
  add_string (b, "suggested_area", self->suggested_area);
  json_builder_set_member_name (b, "uses_password");
  json_builder_add_boolean_value (b, self->uses_password);
  json_builder_set_member_name (b, "has_deep_sleep");
  json_builder_add_boolean_value (b, self->has_deep_sleep);
  json_builder_set_member_name (b, "encrypted");
  json_builder_add_boolean_value (b, self->encrypted);
  {
    g_autofree char *version = g_strdup_printf ("%u.%u", self->api_version_major, self->api_version_minor);

    add_string (b, "api_version", version);
  }
  add_string (b, "server_info", self->server_info);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* --- state ------------------------------------------------------------------- */

static void
update_status (EspyLogSession *self)
{
  g_autofree char *status = NULL;

  switch (self->state)
    {
    case ESPY_LOG_SESSION_STATE_IDLE:
      status = g_strdup (_("Not connected"));
      break;
    case ESPY_LOG_SESSION_STATE_CONNECTING:
      status = g_strdup (_("Connecting…"));
      break;
    case ESPY_LOG_SESSION_STATE_STREAMING:
      status = g_strdup (self->active_transport == ESPY_LOG_TRANSPORT_EVENTS
                         ? _("Streaming logs from the web server")
                         : self->client != NULL && espy_api_client_get_encrypted (self->client)
                           ? _("Streaming logs (encrypted)")
                           : _("Streaming logs"));
      break;
    case ESPY_LOG_SESSION_STATE_RECONNECTING:
      status = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Disconnected: reconnecting in %u second",
                                             "Disconnected: reconnecting in %u seconds", self->retry_seconds),
                                self->retry_seconds);
      break;
    case ESPY_LOG_SESSION_STATE_KEY_NEEDED:
      status = g_strdup (_("The device needs its API encryption key"));
      break;
    case ESPY_LOG_SESSION_STATE_PAUSED:
      status = g_strdup (_("Paused while an install uses the device"));
      break;
    case ESPY_LOG_SESSION_STATE_FAILED:
      /* Waiting for the user rather than failed: said like KEY_NEEDED. */
      if (self->web_credentials_needed && self->error != NULL)
        status = g_strdup (self->error->message);
      else
        status = g_strdup_printf (_("Failed: %s"), self->error != NULL ? self->error->message : _("unknown error"));
      break;
    default:
      g_assert_not_reached ();
    }

  if (g_strcmp0 (status, self->status) == 0)
    return;
  g_free (self->status);
  self->status = g_steal_pointer (&status);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATUS]);
}

static void
set_state (EspyLogSession      *self,
           EspyLogSessionState  state)
{
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), props[PROP_STATE]);
    }
  update_status (self);
}

/* ERROR is taken; NULL clears. */
static void
set_error (EspyLogSession *self,
           GError         *error)
{
  g_clear_error (&self->error);
  self->error = error;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ERROR]);
}

static void
set_active_transport (EspyLogSession   *self,
                      EspyLogTransport  transport)
{
  if (self->active_transport == transport)
    return;
  self->active_transport = transport;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ACTIVE_TRANSPORT]);
}

static void
clear_key (EspyLogSession *self)
{
  g_clear_pointer (&self->key, espy_secret_free);
  self->key_source = KEY_SOURCE_NONE;
  self->key_resolved = FALSE;
  self->remember_key = FALSE;
}

/* Ends the current attempt without side effects: no signal of the old
 * client or stream reaches us after this. */
static void
close_transport (EspyLogSession *self)
{
  gboolean was_encrypted = self->client != NULL && espy_api_client_get_encrypted (self->client);

  if (self->cancellable != NULL)
    {
      g_cancellable_cancel (self->cancellable);
      g_clear_object (&self->cancellable);
    }
  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      espy_api_client_close (self->client);
      g_clear_object (&self->client);
    }
  if (self->stream != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->stream, self);
      espy_event_stream_close (self->stream);
      g_clear_object (&self->stream);
    }
  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (was_encrypted)
    g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ENCRYPTED]);
}

/* Wakes on whole seconds of the countdown. */
static guint
next_tick_ms (gint64 left_ms)
{
  guint rest = (guint) (left_ms % 1000);

  return rest == 0 ? 1000 : rest;
}

static gboolean
retry_tick_cb (gpointer user_data)
{
  EspyLogSession *self = user_data;
  gint64 left_us = self->retry_at_us - g_get_monotonic_time ();

  self->retry_id = 0;
  if (left_us <= 1000)
    {
      begin_attempt (self);
      return G_SOURCE_REMOVE;
    }

  /* Count down in whole seconds for the banner. */
  self->retry_seconds = (guint) ((left_us + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RETRY_SECONDS]);
  update_status (self);
  self->retry_id = g_timeout_add (next_tick_ms (left_us / 1000), retry_tick_cb, self);
  return G_SOURCE_REMOVE;
}

/* After a failure a retry may fix: wait, then try again (ERROR taken). */
static void
schedule_retry (EspyLogSession *self,
                GError         *error)
{
  guint delay = self->backoff_ms;

  close_transport (self);
  if (error != NULL)
    set_error (self, error);
  set_active_transport (self, ESPY_LOG_TRANSPORT_AUTO);
  if (!self->running || self->pause_count > 0)
    return;

  self->backoff_ms = MIN (self->backoff_ms * 2, self->max_backoff_ms);
  self->retry_at_us = g_get_monotonic_time () + (gint64) delay * 1000;
  self->retry_seconds = (delay + 999) / 1000;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_RETRY_SECONDS]);
  set_state (self, ESPY_LOG_SESSION_STATE_RECONNECTING);
  self->retry_id = g_timeout_add (next_tick_ms (delay), retry_tick_cb, self);
}

/* A failure no retry fixes (ERROR taken). */
static void
fail (EspyLogSession *self,
      GError         *error)
{
  close_transport (self);
  set_error (self, error);
  set_active_transport (self, ESPY_LOG_TRANSPORT_AUTO);
  set_state (self, ESPY_LOG_SESSION_STATE_FAILED);
}

static void
ask_for_key (EspyLogSession *self,
             const char     *reason,
             GError         *error)
{
  close_transport (self);
  set_error (self, error);
  set_active_transport (self, ESPY_LOG_TRANSPORT_AUTO);
  set_state (self, ESPY_LOG_SESSION_STATE_KEY_NEEDED);
  g_signal_emit (self, signals[SIGNAL_KEY_NEEDED], 0, reason);
}

static void
streaming (EspyLogSession *self)
{
  self->backoff_ms = self->min_backoff_ms;
  self->n_connects++;
  set_error (self, NULL);
  set_state (self, ESPY_LOG_SESSION_STATE_STREAMING);
  g_signal_emit (self, signals[SIGNAL_CONNECTED], 0);
}

static void
emit_line (EspyLogSession *self,
           const char     *raw)
{
  g_autoptr(EspyLogLine) line = espy_log_line_parse (raw, -1);

  if (line->level != ESPY_LOG_LEVEL_NONE && line->level > self->level)
    return;
  g_queue_push_tail (&self->recent, g_strdup (raw));
  while (self->recent.length > ESPY_LOG_SESSION_RECENT_LINES)
    g_free (g_queue_pop_head (&self->recent));
  g_signal_emit (self, signals[SIGNAL_LINE], 0, line, raw);
}

/* --- the native API ------------------------------------------------------------- */

static void
on_log_message (EspyApiClient *client,
                guint          level,
                const char    *message,
                gpointer       user_data)
{
  emit_line (user_data, message);
}

static void
on_disconnected (EspyApiClient *client,
                 const char    *reason,
                 const GError  *error,
                 gpointer       user_data)
{
  EspyLogSession *self = user_data;

  if (client != self->client)
    return;
  /* The device reboots (an OTA, a restart button): it is back in seconds. */
  if (g_strcmp0 (reason, "rebooting") == 0)
    {
      self->backoff_ms = self->min_backoff_ms;
      schedule_retry (self, g_error_new_literal (ESPY_API_ERROR, ESPY_API_ERROR_CLOSED,
                                                 _("The device is rebooting.")));
      return;
    }
  schedule_retry (self, error != NULL ? g_error_copy (error)
                                      : g_error_new_literal (ESPY_API_ERROR, ESPY_API_ERROR_CLOSED,
                                                             _("The device closed the connection.")));
}

/* user_data: what was stored, for the debug message. */
static void
store_secret_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Remembering is a convenience: a missing keyring costs a prompt next time. */
  if (!espy_secrets_store_finish (result, &error))
    g_debug ("Could not store the %s: %s", (const char *) user_data, error->message);
}

static void
on_device_info (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(EspyLogSession) self = user_data;
  EspyApiClient *client = ESPY_API_CLIENT (source);
  g_autoptr(EspyApiDeviceInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = espy_api_client_device_info_finish (client, result, &error);
  if (client != self->client)
    return;
  if (info == NULL)
    {
      schedule_retry (self, g_steal_pointer (&error));
      return;
    }

  g_clear_pointer (&self->details, espy_api_details_free);
  self->details = espy_api_details_new (info, client);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_DETAILS]);

  if (!espy_api_client_subscribe_logs (client, (EspyApiLogLevel) self->level, self->dump_config, &error))
    {
      schedule_retry (self, g_steal_pointer (&error));
      return;
    }

  if (self->remember_key && self->key != NULL && self->use_keyring)
    espy_secrets_store_async (self->name, ESPY_SECRET_KIND_API_KEY, self->key, NULL,
                              store_secret_cb, (gpointer) "API key");
  self->remember_key = FALSE;
  if (self->key_source == KEY_SOURCE_USER)
    self->key_source = KEY_SOURCE_KEYRING;  /* accepted: treat it like a stored one from now on */

  streaming (self);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_ENCRYPTED]);
}

static void start_events (EspyLogSession *self);

static void
on_api_connected (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(EspyLogSession) self = user_data;
  EspyApiClient *client = ESPY_API_CLIENT (source);
  g_autoptr(GError) error = NULL;
  KeySource source_of_key = self->key_source;

  if (espy_api_client_connect_finish (client, result, &error))
    {
      if (client != self->client)
        return;
      espy_api_client_device_info_async (client, self->cancellable, on_device_info, g_object_ref (self));
      return;
    }
  if (client != self->client || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (error->domain != ESPY_API_ERROR)
    {
      schedule_retry (self, g_steal_pointer (&error));
      return;
    }

  switch ((EspyApiError) error->code)
    {
    case ESPY_API_ERROR_KEY_REQUIRED:
      ask_for_key (self, _("The device uses encryption. Enter its API encryption key."),
                   g_steal_pointer (&error));
      return;

    case ESPY_API_ERROR_WRONG_KEY:
    case ESPY_API_ERROR_INVALID_KEY:
      if (source_of_key == KEY_SOURCE_GIVEN)
        {
          fail (self, g_steal_pointer (&error));
          return;
        }
      clear_key (self);
      /* Resolved again next time, but the wrong key is not offered twice. */
      self->key_resolved = TRUE;
      ask_for_key (self,
                   source_of_key == KEY_SOURCE_CONFIG
                   ? _("The key in the device’s configuration does not match the device. Enter the key the device runs with.")
                   : source_of_key == KEY_SOURCE_KEYRING
                   ? _("The stored key does not match the device any more. Enter its current API encryption key.")
                   : _("The key does not match the device. Check it and try again."),
                   g_steal_pointer (&error));
      return;

    case ESPY_API_ERROR_DEVICE_NOT_ENCRYPTED:
      /* A YAML with a new key, a device still on the old firmware: read its
       * logs in plaintext rather than not at all. */
      if (source_of_key == KEY_SOURCE_CONFIG || source_of_key == KEY_SOURCE_KEYRING)
        {
          self->plaintext_fallback = TRUE;
          close_transport (self);
          begin_attempt (self);
          return;
        }
      fail (self, g_steal_pointer (&error));
      return;

    case ESPY_API_ERROR_WRONG_PASSWORD:
      fail (self, g_steal_pointer (&error));
      return;

    case ESPY_API_ERROR_CONNECT_FAILED:
      /* No API listening: AUTO reads the web server's events instead. */
      if (self->transport == ESPY_LOG_TRANSPORT_AUTO && self->web_port != 0)
        {
          close_transport (self);
          start_events (self);
          return;
        }
      schedule_retry (self, g_steal_pointer (&error));
      return;

    case ESPY_API_ERROR_HANDSHAKE_REJECTED:
    case ESPY_API_ERROR_CLOSED:
    case ESPY_API_ERROR_TIMEOUT:
    case ESPY_API_ERROR_FRAME_TOO_LARGE:
    case ESPY_API_ERROR_PROTOCOL:
    case ESPY_API_ERROR_NOT_CONNECTED:
    default:
      schedule_retry (self, g_steal_pointer (&error));
      return;
    }
}

static void
start_api (EspyLogSession *self)
{
  g_autoptr(GError) error = NULL;
  const char *password = self->config != NULL ? espy_device_config_get_api_password (self->config) : NULL;

  set_active_transport (self, ESPY_LOG_TRANSPORT_API);
  set_state (self, ESPY_LOG_SESSION_STATE_CONNECTING);
  self->cancellable = g_cancellable_new ();
  self->client = espy_api_client_new (self->host, self->api_port);
  espy_api_client_set_timeouts (self->client, self->connect_ms, self->ping_ms, self->keepalive_ms, 0);
  espy_api_client_set_password (self->client, password);
  if (self->key != NULL && !self->plaintext_fallback &&
      !espy_api_client_set_encryption_key (self->client, self->key, &error))
    {
      /* connect_async() fails the same way: handled in one place. */
      g_clear_error (&error);
    }
  g_signal_connect (self->client, "log-message", G_CALLBACK (on_log_message), self);
  g_signal_connect (self->client, "disconnected", G_CALLBACK (on_disconnected), self);
  espy_api_client_connect_async (self->client, self->cancellable, on_api_connected, g_object_ref (self));
}

/* --- /events --------------------------------------------------------------------- */

static void
on_event_log (EspyEventStream *stream,
              const char      *line,
              gpointer         user_data)
{
  emit_line (user_data, line);
}

static void
on_event_closed (EspyEventStream *stream,
                 const GError    *error,
                 gpointer         user_data)
{
  EspyLogSession *self = user_data;

  if (stream != self->stream)
    return;
  schedule_retry (self, error != NULL ? g_error_copy (error)
                                      : g_error_new_literal (ESPY_EVENT_STREAM_ERROR,
                                                             ESPY_EVENT_STREAM_ERROR_CLOSED,
                                                             _("The device ended the event stream.")));
}

static void
clear_user_web_credentials (EspyLogSession *self)
{
  g_clear_pointer (&self->user_web_user, g_free);
  g_clear_pointer (&self->user_web_password, espy_secret_free);
  self->remember_web = FALSE;
}

/* The web server refused the stream (ERROR taken): FAILED, and the user is
 * asked unless the caller gave the credentials. */
static void
ask_for_web_credentials (EspyLogSession *self,
                         GError         *error)
{
  gboolean wrong = g_error_matches (error, ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_WRONG_CREDENTIALS);
  WebSource source = self->web_source;
  const char *reason;

  if (source == WEB_SOURCE_GIVEN)
    {
      fail (self, error);
      return;
    }
  if (source == WEB_SOURCE_USER)
    clear_user_web_credentials (self);

  if (!wrong)
    reason = _("The web server asks for a user name and password. Enter the ones from “web_server: auth:” in the device’s configuration.");
  else if (source == WEB_SOURCE_CONFIG)
    reason = _("The user name or password in the device’s configuration does not match the web server. Enter the ones the device runs with.");
  else if (source == WEB_SOURCE_KEYRING)
    reason = _("The stored user name or password does not match the web server any more. Enter its current ones.");
  else
    reason = _("The web server rejected the user name or password. Check them and try again.");

  /* Set before the state changes: a banner shows the right button. */
  self->web_credentials_needed = TRUE;
  fail (self, error);
  g_signal_emit (self, signals[SIGNAL_CREDENTIALS_NEEDED], 0, reason);
}

static void
on_events_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(EspyLogSession) self = user_data;
  EspyEventStream *stream = ESPY_EVENT_STREAM (source);
  g_autoptr(GError) error = NULL;

  if (espy_event_stream_connect_finish (stream, result, &error))
    {
      if (stream != self->stream)
        return;
      if (self->remember_web && self->web_source == WEB_SOURCE_USER && self->use_keyring)
        {
          espy_secrets_store_async (self->name, ESPY_SECRET_KIND_WEB_USER, self->user_web_user, NULL,
                                    store_secret_cb, (gpointer) "web server credentials");
          espy_secrets_store_async (self->name, ESPY_SECRET_KIND_WEB_PASSWORD,
                                    self->user_web_password != NULL ? self->user_web_password : "", NULL,
                                    store_secret_cb, (gpointer) "web server credentials");
        }
      self->remember_web = FALSE;
      streaming (self);
      return;
    }
  if (stream != self->stream || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (g_error_matches (error, ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_AUTH_REQUIRED) ||
      g_error_matches (error, ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_WRONG_CREDENTIALS))
    {
      ask_for_web_credentials (self, g_steal_pointer (&error));
      return;
    }
  if (g_error_matches (error, ESPY_EVENT_STREAM_ERROR, ESPY_EVENT_STREAM_ERROR_NOT_FOUND))
    {
      fail (self, g_steal_pointer (&error));
      return;
    }
  schedule_retry (self, g_steal_pointer (&error));
}

static void
on_web_password_resolved (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(EspyLogSession) self = user_data;
  g_autoptr(GError) error = NULL;
  char *password = espy_secrets_resolve_finish (result, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      espy_secret_free (password);
      return;
    }
  g_clear_object (&self->cancellable);
  espy_secret_free (self->found_web_password);
  self->found_web_password = password;
  self->web_resolved = TRUE;
  start_events (self);
}

static void
on_web_user_resolved (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(EspyLogSession) self = user_data;
  g_autoptr(GError) error = NULL;
  char *user = espy_secrets_resolve_finish (result, NULL, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      espy_secret_free (user);
      return;
    }
  g_free (self->found_web_user);
  self->found_web_user = user != NULL && user[0] != '\0' ? g_strdup (user) : NULL;
  espy_secret_free (user);
  if (self->found_web_user == NULL)
    {
      /* No user: no auth to try; the device says if it wants one. */
      g_clear_object (&self->cancellable);
      self->web_resolved = TRUE;
      start_events (self);
      return;
    }
  espy_secrets_resolve_async (self->config, self->name, ESPY_SECRET_KIND_WEB_PASSWORD, self->cancellable,
                              on_web_password_resolved, g_object_ref (self));
}

/* The web server's credentials in the order of the API key's: given, the
 * YAML (web_server: auth:), the keyring; FALSE while the keyring looks. */
static gboolean
resolve_web_credentials (EspyLogSession  *self,
                         const char     **user,
                         const char     **password)
{
  *user = self->web_user;
  *password = self->web_password;
  self->web_source = WEB_SOURCE_GIVEN;
  if (*user != NULL)
    return TRUE;
  /* What the user typed in answer to the last refusal wins over what
   * was refused. */
  *user = self->user_web_user;
  *password = self->user_web_password;
  self->web_source = WEB_SOURCE_USER;
  if (*user != NULL)
    return TRUE;
  if (self->config != NULL && espy_device_config_get_web_server_username (self->config) != NULL)
    {
      *user = espy_device_config_get_web_server_username (self->config);
      *password = espy_device_config_get_web_server_password (self->config);
      self->web_source = WEB_SOURCE_CONFIG;
      return TRUE;
    }
  if (self->use_keyring && !self->web_resolved)
    {
      set_state (self, ESPY_LOG_SESSION_STATE_CONNECTING);
      self->cancellable = g_cancellable_new ();
      espy_secrets_resolve_async (self->config, self->name, ESPY_SECRET_KIND_WEB_USER, self->cancellable,
                                  on_web_user_resolved, g_object_ref (self));
      return FALSE;
    }
  *user = self->found_web_user;
  *password = self->found_web_password;
  self->web_source = *user != NULL ? WEB_SOURCE_KEYRING : WEB_SOURCE_NONE;
  return TRUE;
}

static void
start_events (EspyLogSession *self)
{
  const char *user = NULL;
  const char *password = NULL;

  if (!resolve_web_credentials (self, &user, &password))
    return;
  g_free (self->tried_web_user);
  self->tried_web_user = g_strdup (user);

  set_active_transport (self, ESPY_LOG_TRANSPORT_EVENTS);
  set_state (self, ESPY_LOG_SESSION_STATE_CONNECTING);
  self->cancellable = g_cancellable_new ();
  self->stream = espy_event_stream_new (self->host, self->web_port);
  espy_event_stream_set_credentials (self->stream, user, password);
  if (self->connect_ms != 0 || self->idle_ms != 0)
    espy_event_stream_set_timeouts (self->stream,
                                    self->connect_ms != 0 ? self->connect_ms
                                                          : ESPY_EVENT_STREAM_DEFAULT_CONNECT_TIMEOUT_MS,
                                    self->idle_ms != 0 ? self->idle_ms : ESPY_EVENT_STREAM_DEFAULT_IDLE_TIMEOUT_MS);
  g_signal_connect (self->stream, "log", G_CALLBACK (on_event_log), self);
  g_signal_connect (self->stream, "closed", G_CALLBACK (on_event_closed), self);
  espy_event_stream_connect_async (self->stream, self->cancellable, on_events_connected, g_object_ref (self));
}

/* --- attempts --------------------------------------------------------------------- */

static void
connect_with_key (EspyLogSession *self)
{
  if (self->key == NULL && self->api_encryption == ESPY_TRISTATE_YES)
    {
      ask_for_key (self, _("The device uses encryption. Enter its API encryption key."), NULL);
      return;
    }
  start_api (self);
}

static void
on_key_resolved (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(EspyLogSession) self = user_data;
  g_autoptr(GError) error = NULL;
  EspySecretSource from = ESPY_SECRET_SOURCE_NONE;
  char *key = espy_secrets_resolve_finish (result, &from, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      espy_secret_free (key);
      return;
    }
  g_clear_object (&self->cancellable);
  self->key_resolved = TRUE;
  if (key != NULL && self->key == NULL)
    {
      self->key = key;
      self->key_source = from == ESPY_SECRET_SOURCE_CONFIG ? KEY_SOURCE_CONFIG : KEY_SOURCE_KEYRING;
    }
  else
    espy_secret_free (key);
  connect_with_key (self);
}

static void
begin_attempt (EspyLogSession *self)
{
  gboolean use_events;

  close_transport (self);
  self->web_credentials_needed = FALSE;
  if (!self->running)
    return;
  if (self->pause_count > 0)
    {
      set_state (self, ESPY_LOG_SESSION_STATE_PAUSED);
      return;
    }

  use_events = self->transport == ESPY_LOG_TRANSPORT_EVENTS ||
               (self->transport == ESPY_LOG_TRANSPORT_AUTO && !self->has_api);
  if (use_events && self->web_port == 0)
    {
      fail (self, g_error_new_literal (ESPY_LOG_SESSION_ERROR, ESPY_LOG_SESSION_ERROR_NO_TRANSPORT,
                                       self->has_api
                                       ? _("The device has no web server to read logs from. Use the native API instead.")
                                       : _("The device has neither the native API nor a web server: add “api:” or “web_server:” to its configuration to read its logs.")));
      return;
    }
  if (use_events)
    {
      start_events (self);
      return;
    }

  if (self->given_key != NULL && self->key == NULL)
    {
      self->key = g_strdup (self->given_key);
      self->key_source = KEY_SOURCE_GIVEN;
      self->key_resolved = TRUE;
    }
  if (self->key_resolved)
    {
      connect_with_key (self);
      return;
    }

  /* The lookup order: the YAML, then the keyring, then the user. */
  set_state (self, ESPY_LOG_SESSION_STATE_CONNECTING);
  if (!self->use_keyring)
    {
      const char *from_config = espy_secrets_from_config (self->config, ESPY_SECRET_KIND_API_KEY);

      self->key_resolved = TRUE;
      if (from_config != NULL)
        {
          self->key = g_strdup (from_config);
          self->key_source = KEY_SOURCE_CONFIG;
        }
      connect_with_key (self);
      return;
    }
  self->cancellable = g_cancellable_new ();
  espy_secrets_resolve_async (self->config, self->name, ESPY_SECRET_KIND_API_KEY, self->cancellable,
                              on_key_resolved, g_object_ref (self));
}

void
espy_log_session_start (EspyLogSession *self)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));

  if (self->running)
    return;
  self->running = TRUE;
  self->backoff_ms = self->min_backoff_ms;
  self->n_connects = 0;
  /* The keyring may have learnt them since: look again. */
  self->web_resolved = FALSE;
  self->plaintext_fallback = FALSE;
  set_error (self, NULL);
  begin_attempt (self);
}

void
espy_log_session_stop (EspyLogSession *self)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));

  self->running = FALSE;
  close_transport (self);
  set_active_transport (self, ESPY_LOG_TRANSPORT_AUTO);
  set_state (self, ESPY_LOG_SESSION_STATE_IDLE);
}

void
espy_log_session_pause (EspyLogSession *self)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));

  if (self->pause_count++ > 0)
    return;
  close_transport (self);
  set_active_transport (self, ESPY_LOG_TRANSPORT_AUTO);
  if (self->running)
    set_state (self, ESPY_LOG_SESSION_STATE_PAUSED);
}

void
espy_log_session_resume (EspyLogSession *self)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));
  g_return_if_fail (self->pause_count > 0);

  if (--self->pause_count > 0)
    return;
  /* The device most likely rebooted into new firmware: start over fast. */
  self->backoff_ms = self->min_backoff_ms;
  if (self->running)
    begin_attempt (self);
}

void
espy_log_session_retry_now (EspyLogSession *self)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));

  if (!self->running)
    {
      espy_log_session_start (self);
      return;
    }
  if (self->state == ESPY_LOG_SESSION_STATE_RECONNECTING || self->state == ESPY_LOG_SESSION_STATE_FAILED)
    {
      self->backoff_ms = self->min_backoff_ms;
      begin_attempt (self);
    }
}

gboolean
espy_log_session_provide_key (EspyLogSession  *self,
                              const char      *key,
                              gboolean         remember,
                              GError         **error)
{
  g_autofree char *trimmed = NULL;

  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  trimmed = g_strstrip (g_strdup (key));
  if (!espy_api_parse_key (trimmed, NULL, error))
    {
      explicit_bzero (trimmed, strlen (trimmed));
      return FALSE;
    }

  clear_key (self);
  self->key = g_steal_pointer (&trimmed);
  self->key_source = KEY_SOURCE_USER;
  self->key_resolved = TRUE;
  self->remember_key = remember;
  self->plaintext_fallback = FALSE;
  self->backoff_ms = self->min_backoff_ms;
  if (!self->running)
    self->running = TRUE;
  begin_attempt (self);
  return TRUE;
}

gboolean
espy_log_session_provide_web_credentials (EspyLogSession  *self,
                                          const char      *user,
                                          const char      *password,
                                          gboolean         remember,
                                          GError         **error)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), FALSE);

  if (user == NULL || user[0] == '\0')
    {
      g_set_error_literal (error, ESPY_LOG_SESSION_ERROR, ESPY_LOG_SESSION_ERROR_NO_USER,
                           _("Enter the web server’s user name."));
      return FALSE;
    }

  clear_user_web_credentials (self);
  self->user_web_user = g_strdup (user);
  self->user_web_password = g_strdup (password != NULL ? password : "");
  self->remember_web = remember;
  self->backoff_ms = self->min_backoff_ms;
  if (!self->running)
    self->running = TRUE;
  begin_attempt (self);
  return TRUE;
}

gboolean
espy_log_session_get_web_credentials_needed (EspyLogSession *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), FALSE);
  return self->web_credentials_needed && self->state == ESPY_LOG_SESSION_STATE_FAILED;
}

const char *
espy_log_session_get_web_user (EspyLogSession *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), NULL);
  return self->tried_web_user;
}

/* --- install manager ------------------------------------------------------------ */

/* The manager names the device by its node name; any case. */
static gboolean
is_us (EspyLogSession *self,
       const char     *name)
{
  return name != NULL && self->name != NULL && g_ascii_strcasecmp (name, self->name) == 0;
}

static void
on_device_busy (GObject    *manager,
                const char *name,
                gpointer    user_data)
{
  EspyLogSession *self = user_data;

  if (!is_us (self, name) || self->busy)
    return;
  self->busy = TRUE;
  espy_log_session_pause (self);
}

static void
on_device_free (GObject    *manager,
                const char *name,
                gpointer    user_data)
{
  EspyLogSession *self = user_data;

  if (!is_us (self, name) || !self->busy)
    return;
  self->busy = FALSE;
  espy_log_session_resume (self);
}

void
espy_log_session_set_install_manager (EspyLogSession *self,
                                      GObject        *manager)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));
  g_return_if_fail (manager == NULL || G_IS_OBJECT (manager));

  if (self->install_manager == manager)
    return;
  if (self->install_manager != NULL)
    {
      g_clear_signal_handler (&self->busy_handler, self->install_manager);
      g_clear_signal_handler (&self->free_handler, self->install_manager);
      g_clear_object (&self->install_manager);
    }
  if (self->busy)
    {
      self->busy = FALSE;
      espy_log_session_resume (self);
    }
  if (manager == NULL)
    return;

  self->install_manager = g_object_ref (manager);
  /* Looked up by name: the pair is the install manager's to define, and a
   * manager without it simply never pauses us. */
  if (g_signal_lookup ("device-busy", G_OBJECT_TYPE (manager)) != 0 &&
      g_signal_lookup ("device-free", G_OBJECT_TYPE (manager)) != 0)
    {
      self->busy_handler = g_signal_connect (manager, "device-busy", G_CALLBACK (on_device_busy), self);
      self->free_handler = g_signal_connect (manager, "device-free", G_CALLBACK (on_device_free), self);
    }
}

/* --- configuration ------------------------------------------------------------- */

void
espy_log_session_set_config (EspyLogSession   *self,
                             EspyDeviceConfig *config)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));

  if (!g_set_object (&self->config, config))
    return;
  if (self->key_source == KEY_SOURCE_CONFIG || self->key_source == KEY_SOURCE_NONE)
    clear_key (self);
  if (config != NULL)
    {
      if (!espy_device_config_has_api (config) && espy_device_config_has_web_server (config))
        self->has_api = FALSE;
      if (self->web_port == 0 && espy_device_config_has_web_server (config))
        self->web_port = espy_device_config_get_web_server_port (config);
    }
}

void
espy_log_session_set_api_encryption (EspyLogSession *self,
                                     EspyTristate    encrypted)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));
  self->api_encryption = encrypted;
}

void
espy_log_session_set_has_api (EspyLogSession *self,
                              gboolean        has_api)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));
  self->has_api = has_api;
}

void
espy_log_session_set_web_port (EspyLogSession *self,
                               guint16         port)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));
  self->web_port = port;
}

void
espy_log_session_set_web_credentials (EspyLogSession *self,
                                      const char     *user,
                                      const char     *password)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));

  g_free (self->web_user);
  self->web_user = user != NULL && user[0] != '\0' ? g_strdup (user) : NULL;
  espy_secret_free (self->web_password);
  self->web_password = g_strdup (password);
}

void
espy_log_session_set_transport (EspyLogSession   *self,
                                EspyLogTransport  transport)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));

  if (self->transport == transport)
    return;
  self->transport = transport;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_TRANSPORT]);
  /* A running session switches at once. */
  if (self->running && self->pause_count == 0)
    {
      self->backoff_ms = self->min_backoff_ms;
      begin_attempt (self);
    }
}

EspyLogTransport
espy_log_session_get_transport (EspyLogSession *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), ESPY_LOG_TRANSPORT_AUTO);
  return self->transport;
}

EspyLogTransport
espy_log_session_get_active_transport (EspyLogSession *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), ESPY_LOG_TRANSPORT_AUTO);
  return self->active_transport;
}

void
espy_log_session_set_level (EspyLogSession *self,
                            EspyLogLevel    level)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));

  if (level == ESPY_LOG_LEVEL_NONE || level > ESPY_LOG_LEVEL_VERY_VERBOSE)
    level = ESPY_LOG_LEVEL_VERY_VERBOSE;
  if (self->level == level)
    return;
  self->level = level;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_LEVEL]);
}

void
espy_log_session_set_dump_config (EspyLogSession *self,
                                  gboolean        dump_config)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));

  dump_config = !!dump_config;
  if (self->dump_config == dump_config)
    return;
  self->dump_config = dump_config;
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_DUMP_CONFIG]);
}

void
espy_log_session_set_use_keyring (EspyLogSession *self,
                                  gboolean        use_keyring)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));
  self->use_keyring = use_keyring;
}

gboolean
espy_log_session_set_key (EspyLogSession  *self,
                          const char      *key,
                          GError         **error)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), FALSE);

  if (key != NULL && !espy_api_parse_key (key, NULL, error))
    return FALSE;
  g_clear_pointer (&self->given_key, espy_secret_free);
  self->given_key = g_strdup (key);
  clear_key (self);
  return TRUE;
}

void
espy_log_session_set_backoff (EspyLogSession *self,
                              guint           min_ms,
                              guint           max_ms)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));

  if (min_ms != 0)
    self->min_backoff_ms = min_ms;
  if (max_ms != 0)
    self->max_backoff_ms = max_ms;
  self->max_backoff_ms = MAX (self->max_backoff_ms, self->min_backoff_ms);
  self->backoff_ms = CLAMP (self->backoff_ms, self->min_backoff_ms, self->max_backoff_ms);
}

void
espy_log_session_set_timeouts (EspyLogSession *self,
                               guint           connect_ms,
                               guint           ping_interval_ms,
                               guint           keepalive_timeout_ms,
                               guint           idle_ms)
{
  g_return_if_fail (ESPY_IS_LOG_SESSION (self));

  self->connect_ms = connect_ms;
  self->ping_ms = ping_interval_ms;
  self->keepalive_ms = keepalive_timeout_ms;
  self->idle_ms = idle_ms;
}

/* --- getters ------------------------------------------------------------------- */

const char *
espy_log_session_get_name (EspyLogSession *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), NULL);
  return self->name;
}

const char *
espy_log_session_get_host (EspyLogSession *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), NULL);
  return self->host;
}

EspyLogSessionState
espy_log_session_get_state (EspyLogSession *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), ESPY_LOG_SESSION_STATE_IDLE);
  return self->state;
}

const char *
espy_log_session_get_status (EspyLogSession *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), NULL);
  return self->status;
}

guint
espy_log_session_get_retry_seconds (EspyLogSession *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), 0);
  return self->state == ESPY_LOG_SESSION_STATE_RECONNECTING ? self->retry_seconds : 0;
}

const GError *
espy_log_session_get_error (EspyLogSession *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), NULL);
  return self->error;
}

const EspyApiDetails *
espy_log_session_get_details (EspyLogSession *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), NULL);
  return self->details;
}

gboolean
espy_log_session_get_encrypted (EspyLogSession *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), FALSE);
  return self->client != NULL && espy_api_client_get_encrypted (self->client);
}

char **
espy_log_session_dup_recent_lines (EspyLogSession *self,
                                   guint           max_lines)
{
  GPtrArray *lines;
  guint skip;
  guint i = 0;

  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), NULL);

  lines = g_ptr_array_new ();
  skip = max_lines > 0 && self->recent.length > max_lines ? self->recent.length - max_lines : 0;
  for (GList *l = self->recent.head; l != NULL; l = l->next, i++)
    if (i >= skip)
      g_ptr_array_add (lines, g_strdup (l->data));
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (lines, FALSE);
}

guint
espy_log_session_get_n_connects (EspyLogSession *self)
{
  g_return_val_if_fail (ESPY_IS_LOG_SESSION (self), 0);
  return self->n_connects;
}

/* --- GObject ------------------------------------------------------------------- */

EspyLogSession *
espy_log_session_new (const char *name,
                      const char *host,
                      guint16     api_port)
{
  EspyLogSession *self;

  g_return_val_if_fail (host != NULL, NULL);

  self = g_object_new (ESPY_TYPE_LOG_SESSION, NULL);
  self->name = g_strdup (name != NULL ? name : host);
  self->host = g_strdup (host);
  self->api_port = api_port != 0 ? api_port : ESPY_API_DEFAULT_PORT;
  return self;
}

EspyLogSession *
espy_log_session_new_for_device (EspyDevice *device)
{
  EspyLogSession *self;

  g_return_val_if_fail (ESPY_IS_DEVICE (device), NULL);

  self = espy_log_session_new (espy_device_get_name (device), espy_device_get_address (device),
                               espy_device_get_api_port (device));
  self->web_port = espy_device_get_web_port (device);
  self->api_encryption = espy_device_get_api_encryption (device);
  /* Whether it has the API is rarely known for sure: AUTO tries it and
   * falls back to /events when the port refuses. */
  return self;
}

static void
espy_log_session_dispose (GObject *object)
{
  EspyLogSession *self = ESPY_LOG_SESSION (object);

  self->running = FALSE;
  close_transport (self);
  espy_log_session_set_install_manager (self, NULL);
  G_OBJECT_CLASS (espy_log_session_parent_class)->dispose (object);
}

static void
espy_log_session_finalize (GObject *object)
{
  EspyLogSession *self = ESPY_LOG_SESSION (object);

  g_free (self->name);
  g_free (self->host);
  g_clear_object (&self->config);
  g_free (self->web_user);
  espy_secret_free (self->web_password);
  g_free (self->found_web_user);
  espy_secret_free (self->found_web_password);
  g_free (self->user_web_user);
  espy_secret_free (self->user_web_password);
  g_free (self->tried_web_user);
  espy_secret_free (self->given_key);
  espy_secret_free (self->key);
  g_free (self->status);
  g_clear_error (&self->error);
  g_clear_pointer (&self->details, espy_api_details_free);
  g_queue_clear_full (&self->recent, g_free);
  G_OBJECT_CLASS (espy_log_session_parent_class)->finalize (object);
}

static void
espy_log_session_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  EspyLogSession *self = ESPY_LOG_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    case PROP_RETRY_SECONDS:
      g_value_set_uint (value, espy_log_session_get_retry_seconds (self));
      break;
    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;
    case PROP_DETAILS:
      g_value_set_boxed (value, self->details);
      break;
    case PROP_TRANSPORT:
      g_value_set_enum (value, self->transport);
      break;
    case PROP_ACTIVE_TRANSPORT:
      g_value_set_enum (value, self->active_transport);
      break;
    case PROP_LEVEL:
      g_value_set_int (value, (int) self->level);
      break;
    case PROP_DUMP_CONFIG:
      g_value_set_boolean (value, self->dump_config);
      break;
    case PROP_ENCRYPTED:
      g_value_set_boolean (value, espy_log_session_get_encrypted (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_log_session_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  EspyLogSession *self = ESPY_LOG_SESSION (object);

  switch (prop_id)
    {
    case PROP_TRANSPORT:
      espy_log_session_set_transport (self, g_value_get_enum (value));
      break;
    case PROP_LEVEL:
      espy_log_session_set_level (self, (EspyLogLevel) g_value_get_int (value));
      break;
    case PROP_DUMP_CONFIG:
      espy_log_session_set_dump_config (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
espy_log_session_class_init (EspyLogSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = espy_log_session_dispose;
  object_class->finalize = espy_log_session_finalize;
  object_class->get_property = espy_log_session_get_property;
  object_class->set_property = espy_log_session_set_property;

  props[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, ESPY_TYPE_LOG_SESSION_STATE,
                                         ESPY_LOG_SESSION_STATE_IDLE, ro);
  props[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, ro);
  props[PROP_RETRY_SECONDS] = g_param_spec_uint ("retry-seconds", NULL, NULL, 0, G_MAXUINT, 0, ro);
  props[PROP_ERROR] = g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, ro);
  props[PROP_DETAILS] = g_param_spec_boxed ("details", NULL, NULL, ESPY_TYPE_API_DETAILS, ro);
  props[PROP_TRANSPORT] = g_param_spec_enum ("transport", NULL, NULL, ESPY_TYPE_LOG_TRANSPORT,
                                             ESPY_LOG_TRANSPORT_AUTO, rw);
  props[PROP_ACTIVE_TRANSPORT] = g_param_spec_enum ("active-transport", NULL, NULL, ESPY_TYPE_LOG_TRANSPORT,
                                                    ESPY_LOG_TRANSPORT_AUTO, ro);
  props[PROP_LEVEL] = g_param_spec_int ("level", NULL, NULL, ESPY_LOG_LEVEL_NONE,
                                        ESPY_LOG_LEVEL_VERY_VERBOSE, ESPY_LOG_LEVEL_VERY_VERBOSE, rw);
  props[PROP_DUMP_CONFIG] = g_param_spec_boolean ("dump-config", NULL, NULL, TRUE, rw);
  props[PROP_ENCRYPTED] = g_param_spec_boolean ("encrypted", NULL, NULL, FALSE, ro);
  g_object_class_install_properties (object_class, N_PROPS, props);

  signals[SIGNAL_LINE] =
    g_signal_new ("line", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, ESPY_TYPE_LOG_LINE | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_KEY_NEEDED] =
    g_signal_new ("key-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_CREDENTIALS_NEEDED] =
    g_signal_new ("credentials-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_CONNECTED] =
    g_signal_new ("connected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
espy_log_session_init (EspyLogSession *self)
{
  self->has_api = TRUE;
  self->api_encryption = ESPY_TRISTATE_UNKNOWN;
  self->level = ESPY_LOG_LEVEL_VERY_VERBOSE;
  self->dump_config = TRUE;
  self->use_keyring = TRUE;
  self->min_backoff_ms = ESPY_LOG_SESSION_DEFAULT_MIN_BACKOFF_MS;
  self->max_backoff_ms = ESPY_LOG_SESSION_DEFAULT_MAX_BACKOFF_MS;
  self->backoff_ms = self->min_backoff_ms;
  self->state = ESPY_LOG_SESSION_STATE_IDLE;
  update_status (self);
}
