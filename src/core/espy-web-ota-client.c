/* espy-web-ota-client.c: firmware upload through the device web server.
 *
 * One POST /update per attempt, multipart/form-data with the image as the one
 * file part, streamed from the image's memory without a copy. libsoup does
 * the HTTP; its automatic authentication is switched off because on a 401
 * it would resend the request with an empty body (libsoup cannot rewind a
 * streamed body), and an empty upload is exactly what must never reach a
 * device. We send preemptive Basic, and answer a Digest challenge ourselves
 * with a fresh message and body.
 *
 * Timeouts are our own watchdog rather than SoupSession:timeout, which has
 * whole-second granularity and one value for connect and read.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-web-ota-client.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "espy-secret-string.h"

#define DEFAULT_FILENAME "firmware.bin"
/* The device's answer is one short line; anything longer is not ESPHome. */
#define MAX_RESPONSE     4096
#define SUCCESS_TEXT     "Update Successful"
#define FAILURE_TEXT     "Update Failed"

struct _EspyWebOtaClient
{
  GObject parent_instance;

  char *host;
  guint16 port;
  char *user;
  char *password;
  char *filename;
  guint connect_timeout_ms;
  guint read_timeout_ms;

  gboolean busy;
  EspyOtaStage stage;
  EspyOtaStage failed_stage;
  guint http_status;
  char *response;
  guint64 bytes_sent;
  guint64 total;
};

G_DEFINE_FINAL_TYPE (EspyWebOtaClient, espy_web_ota_client, G_TYPE_OBJECT)

G_DEFINE_QUARK (espy-web-ota-error-quark, espy_web_ota_error)

enum {
  SIGNAL_STAGE_CHANGED,
  SIGNAL_PROGRESS,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef enum {
  AUTH_NONE,
  AUTH_BASIC,
  AUTH_DIGEST,
} AuthMode;

typedef struct
{
  EspyWebOtaClient *self;   /* owned by the task */
  EspyFirmwareImage *image;
  SoupSession *session;
  SoupMessage *msg;
  GInputStream *body;       /* the response body */
  AuthMode auth;

  GBytes *head;             /* multipart part header */
  GBytes *tail;             /* closing boundary */
  char *content_type;

  GCancellable *op_cancellable; /* cancelled by the user's one or the watchdog */
  GCancellable *user_cancellable;
  gulong user_cancel_id;
  guint watchdog_id;
  guint watchdog_ms;
  gboolean timed_out;

  guint64 body_written;     /* request body bytes, multipart framing included */
  gboolean progress_emitted; /* in this attempt */
  GString *answer;
  guint8 buf[512];
} Upload;

static void attempt_start (GTask *task);

/* --- helpers --------------------------------------------------------------- */

const char *
espy_web_ota_error_to_nick (EspyWebOtaError code)
{
  switch (code)
    {
    case ESPY_WEB_OTA_ERROR_CONNECT: return "connect";
    case ESPY_WEB_OTA_ERROR_TIMEOUT: return "timeout";
    case ESPY_WEB_OTA_ERROR_AUTH_REQUIRED: return "auth-required";
    case ESPY_WEB_OTA_ERROR_WRONG_CREDENTIALS: return "wrong-credentials";
    case ESPY_WEB_OTA_ERROR_NO_WEB_OTA: return "no-web-ota";
    case ESPY_WEB_OTA_ERROR_UPDATE_FAILED: return "update-failed";
    case ESPY_WEB_OTA_ERROR_UNEXPECTED_RESPONSE: return "unexpected-response";
    case ESPY_WEB_OTA_ERROR_CLOSED: return "closed";
    default: return "unknown";
    }
}

SoupSession *
espy_web_session_new (void)
{
  SoupSession *session;

  /* Devices sit on the local network: a desktop proxy would only get in the
   * way (or see the password). Timeouts are the caller's watchdog. */
  session = soup_session_new_with_options ("proxy-resolver", NULL,
                                           "timeout", 0,
                                           "idle-timeout", 0,
                                           "user-agent", "Espy/" PACKAGE_VERSION,
                                           NULL);
  soup_session_remove_feature_by_type (session, SOUP_TYPE_AUTH_MANAGER);
  return session;
}

char *
espy_web_basic_authorization (const char *user,
                              const char *password)
{
  g_autofree char *pair = NULL;
  g_autofree char *encoded = NULL;

  g_return_val_if_fail (user != NULL, NULL);

  pair = g_strconcat (user, ":", password != NULL ? password : "", NULL);
  encoded = g_base64_encode ((const guchar *) pair, strlen (pair));
  /* The pair holds the password: do not leave it in freed memory. */
  espy_secret_string_clear (&pair);
  return g_strconcat ("Basic ", encoded, NULL);
}

/* The Digest challenge among the WWW-Authenticate headers of a 401. */
static char *
find_digest_challenge (SoupMessage *challenged)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (challenged);
  SoupMessageHeadersIter iter;
  const char *name;
  const char *value;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      const char *p = value;

      if (g_ascii_strcasecmp (name, "WWW-Authenticate") != 0)
        continue;
      /* One header may list several challenges: "Basic ..., Digest ...". */
      while (p != NULL && *p != '\0')
        {
          while (*p == ' ' || *p == ',')
            p++;
          if (g_ascii_strncasecmp (p, "Digest", 6) == 0 && (p[6] == ' ' || p[6] == '\0'))
            return g_strdup (p);
          p = strchr (p, ',');
        }
    }
  return NULL;
}

gboolean
espy_web_has_digest_challenge (SoupMessage *challenged)
{
  g_autofree char *challenge = NULL;

  g_return_val_if_fail (SOUP_IS_MESSAGE (challenged), FALSE);

  challenge = find_digest_challenge (challenged);
  return challenge != NULL;
}

char *
espy_web_digest_authorization (SoupMessage *challenged,
                               SoupMessage *next,
                               const char  *user,
                               const char  *password)
{
  g_autofree char *challenge = NULL;
  g_autoptr(SoupAuth) auth = NULL;

  g_return_val_if_fail (SOUP_IS_MESSAGE (challenged), NULL);
  g_return_val_if_fail (SOUP_IS_MESSAGE (next), NULL);
  g_return_val_if_fail (user != NULL, NULL);

  challenge = find_digest_challenge (challenged);
  if (challenge == NULL)
    return NULL;
  auth = soup_auth_new (SOUP_TYPE_AUTH_DIGEST, challenged, challenge);
  if (auth == NULL)
    return NULL;
  soup_auth_authenticate (auth, user, password != NULL ? password : "");
  /* libsoup 3.2 writes `username="..", realm="..", ...`: comma AND space
   * between parameters, which Arduino's parser splits on (the tests pin
   * this down byte by byte). */
  return soup_auth_get_authorization (auth, next);
}

static void
set_stage (EspyWebOtaClient *self,
           EspyOtaStage      stage)
{
  if (self->stage == stage)
    return;
  self->stage = stage;
  g_signal_emit (self, signals[SIGNAL_STAGE_CHANGED], 0, (guint) stage);
}

static void
upload_free (gpointer data)
{
  Upload *up = data;

  g_clear_handle_id (&up->watchdog_id, g_source_remove);
  if (up->user_cancel_id != 0)
    g_cancellable_disconnect (up->user_cancellable, up->user_cancel_id);
  g_clear_object (&up->user_cancellable);
  g_clear_object (&up->op_cancellable);
  g_clear_object (&up->body);
  if (up->msg != NULL)
    g_signal_handlers_disconnect_by_data (up->msg, up);
  g_clear_object (&up->msg);
  if (up->session != NULL)
    soup_session_abort (up->session);
  g_clear_object (&up->session);
  g_clear_object (&up->image);
  g_clear_pointer (&up->head, g_bytes_unref);
  g_clear_pointer (&up->tail, g_bytes_unref);
  g_clear_pointer (&up->content_type, g_free);
  if (up->answer != NULL)
    g_string_free (up->answer, TRUE);
  g_free (up);
}

static gboolean
watchdog_fired (gpointer data)
{
  Upload *up = data;

  up->watchdog_id = 0;
  up->timed_out = TRUE;
  g_cancellable_cancel (up->op_cancellable);
  return G_SOURCE_REMOVE;
}

static void
watchdog_arm (Upload *up,
              guint   ms)
{
  g_clear_handle_id (&up->watchdog_id, g_source_remove);
  up->watchdog_ms = ms;
  if (ms > 0)
    up->watchdog_id = g_timeout_add (ms, watchdog_fired, up);
}

static void
on_user_cancelled (GCancellable *cancellable,
                   gpointer      data)
{
  GCancellable *op_cancellable = data;

  g_cancellable_cancel (op_cancellable);
}

/* Nothing of this upload may fire after it completed, even while the caller
 * still holds the result. */
static void
upload_stop (Upload *up)
{
  g_clear_handle_id (&up->watchdog_id, g_source_remove);
  if (up->msg != NULL)
    g_signal_handlers_disconnect_by_data (up->msg, up);
  if (up->session != NULL)
    soup_session_abort (up->session);
}

static void
fail (GTask  *task,
      GError *error)
{
  Upload *up = g_task_get_task_data (task);
  EspyWebOtaClient *self = up->self;

  upload_stop (up);
  self->failed_stage = self->stage;
  self->busy = FALSE;
  g_task_return_error (task, error);
  g_object_unref (task);
}

static void
succeed (GTask *task)
{
  Upload *up = g_task_get_task_data (task);
  EspyWebOtaClient *self = up->self;

  upload_stop (up);
  set_stage (self, ESPY_OTA_STAGE_REBOOT);
  set_stage (self, ESPY_OTA_STAGE_DONE);
  self->busy = FALSE;
  g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

static const char *
stage_phrase (EspyOtaStage stage)
{
  switch (stage)
    {
    case ESPY_OTA_STAGE_CONNECT: return _("while connecting");
    case ESPY_OTA_STAGE_UPLOAD: return _("while uploading");
    case ESPY_OTA_STAGE_VERIFY: return _("while waiting for the device's answer");
    case ESPY_OTA_STAGE_IDLE:
    case ESPY_OTA_STAGE_HANDSHAKE:
    case ESPY_OTA_STAGE_AUTH:
    case ESPY_OTA_STAGE_PREPARE:
    case ESPY_OTA_STAGE_REBOOT:
    case ESPY_OTA_STAGE_DONE:
    default: return "";
    }
}

/* Turns a failure of libsoup or of the body stream into our error. */
static void
fail_io (GTask  *task,
         GError *io_error)
{
  Upload *up = g_task_get_task_data (task);
  EspyWebOtaClient *self = up->self;
  g_autoptr(GError) owned = io_error;

  if (up->timed_out)
    {
      if (self->stage == ESPY_OTA_STAGE_CONNECT)
        fail (task, g_error_new (ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_TIMEOUT,
                                 _("Could not connect to the web server at %s port %u within %u seconds. "
                                   "Check that the device is on and reachable."),
                                 self->host, self->port, (up->watchdog_ms + 999) / 1000));
      else if (self->stage == ESPY_OTA_STAGE_UPLOAD)
        fail (task, g_error_new (ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_TIMEOUT,
                                 _("The upload stalled: the device accepted no data for %u seconds."),
                                 (up->watchdog_ms + 999) / 1000));
      else
        fail (task, g_error_new (ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_TIMEOUT,
                                 _("The device did not answer within %u seconds after the upload."),
                                 (up->watchdog_ms + 999) / 1000));
      return;
    }

  if (g_cancellable_is_cancelled (up->user_cancellable))
    {
      fail (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The upload was cancelled.")));
      return;
    }

  if (self->stage == ESPY_OTA_STAGE_CONNECT)
    {
      fail (task, g_error_new (ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_CONNECT,
                               _("Could not connect to the web server at %s port %u: %s. Check the address, "
                                 "the web server port and that `web_server:` is in the device's "
                                 "configuration."),
                               self->host, self->port, owned->message));
      return;
    }

  fail (task, g_error_new (ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_CLOSED,
                           _("The connection to the device was lost %s (%s). The device may have "
                             "restarted or run out of memory; try again."),
                           stage_phrase (self->stage), owned->message));
}

/* --- request --------------------------------------------------------------- */

static gboolean
bytes_contain (GBytes     *haystack,
               const char *needle)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (haystack, &len);
  gsize nlen = strlen (needle);
  const guint8 *p = data;

  while (len >= nlen && (gsize) (p - data) <= len - nlen)
    {
      p = memchr (p, needle[0], len - nlen - (p - data) + 1);
      if (p == NULL)
        return FALSE;
      if (memcmp (p, needle, nlen) == 0)
        return TRUE;
      p++;
    }
  return FALSE;
}

/* Quotes stay quotes in a filename="" parameter only if there are none. */
static char *
sanitize_filename (const char *name)
{
  char *out = g_strdup (name);

  for (char *p = out; *p != '\0'; p++)
    if (*p == '"' || *p == '\\' || *p == '\r' || *p == '\n')
      *p = '_';
  return out;
}

static void
build_multipart (Upload     *up,
                 const char *filename)
{
  g_autofree char *boundary = NULL;
  g_autofree char *safe_name = sanitize_filename (filename);
  char *head;
  char *tail;

  /* 128 random bits: a collision with the image is all but impossible, and
   * ruling it out costs one pass over the image. */
  do
    {
      g_free (boundary);
      boundary = g_strdup_printf ("----EspyFirmwareBoundary%08x%08x%08x%08x",
                                  g_random_int (), g_random_int (), g_random_int (), g_random_int ());
    }
  while (bytes_contain (espy_firmware_image_get_bytes (up->image), boundary));

  head = g_strdup_printf ("--%s\r\n"
                          "Content-Disposition: form-data; name=\"update\"; filename=\"%s\"\r\n"
                          "Content-Type: application/octet-stream\r\n"
                          "\r\n",
                          boundary, safe_name);
  tail = g_strdup_printf ("\r\n--%s--\r\n", boundary);
  up->head = g_bytes_new_take (head, strlen (head));
  up->tail = g_bytes_new_take (tail, strlen (tail));
  up->content_type = g_strdup_printf ("multipart/form-data; boundary=%s", boundary);
}

static void
emit_progress (Upload *up)
{
  EspyWebOtaClient *self = up->self;
  gsize head_len = g_bytes_get_size (up->head);
  guint64 sent = up->body_written > head_len ? up->body_written - head_len : 0;

  sent = MIN (sent, self->total);
  if (up->progress_emitted && sent <= self->bytes_sent)
    return;
  up->progress_emitted = TRUE;
  self->bytes_sent = sent;
  g_signal_emit (self, signals[SIGNAL_PROGRESS], 0, sent, self->total);
}

static void
on_network_event (SoupMessage        *msg,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            data)
{
  Upload *up = data;

  if (event != G_SOCKET_CLIENT_COMPLETE)
    return;
  /* Connected: from now on the read timeout measures silence. */
  watchdog_arm (up, up->self->read_timeout_ms);
  set_stage (up->self, ESPY_OTA_STAGE_UPLOAD);
  emit_progress (up);
}

static void
on_wrote_body_data (SoupMessage *msg,
                    guint        chunk_size,
                    gpointer     data)
{
  Upload *up = data;

  up->body_written += chunk_size;
  watchdog_arm (up, up->self->read_timeout_ms);
  emit_progress (up);
}

static void
on_wrote_body (SoupMessage *msg,
               gpointer     data)
{
  Upload *up = data;

  /* The device now verifies the image and sets the boot partition before it
   * answers: that is the VERIFY stage, under the read timeout. */
  watchdog_arm (up, up->self->read_timeout_ms);
  set_stage (up->self, ESPY_OTA_STAGE_VERIFY);
}

/* Text after "Update Failed": "!", ": Wrong Magic Byte", ": ERROR[10]: ...". */
static char *
failure_reason (const char *answer)
{
  const char *p = answer + strlen (FAILURE_TEXT);

  while (*p == '!' || *p == ':' || *p == ' ')
    p++;
  return g_strstrip (g_strdup (p));
}

static void
finish_answer (GTask *task)
{
  Upload *up = g_task_get_task_data (task);
  EspyWebOtaClient *self = up->self;
  g_autofree char *answer = NULL;

  answer = g_utf8_make_valid (up->answer->str, up->answer->len);
  g_strstrip (answer);
  g_free (self->response);
  self->response = g_strdup (answer);

  if (self->http_status == SOUP_STATUS_OK && g_str_has_prefix (answer, SUCCESS_TEXT))
    {
      succeed (task);
      return;
    }

  if (self->http_status == SOUP_STATUS_OK && g_str_has_prefix (answer, FAILURE_TEXT))
    {
      g_autofree char *reason = failure_reason (answer);

      if (reason[0] != '\0')
        fail (task, g_error_new (ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_UPDATE_FAILED,
                                 _("The device rejected the firmware: “%s”. It keeps running its current "
                                   "firmware. Check that the file was built for this device."),
                                 reason));
      else
        fail (task, g_error_new_literal (ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_UPDATE_FAILED,
                                         _("The device rejected the firmware without giving a reason. It keeps "
                                           "running its current firmware. Check that the file was built for this "
                                           "device and fits its flash; the device's logs may say more.")));
      return;
    }

  if (self->http_status == SOUP_STATUS_OK)
    {
      fail (task, g_error_new (ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_UNEXPECTED_RESPONSE,
                               _("The web server answered “%.80s” instead of “Update Successful!”. "
                                 "It may not be an ESPHome device."),
                               answer));
      return;
    }

  fail (task, g_error_new (ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_UNEXPECTED_RESPONSE,
                           _("The web server answered HTTP %u %s to the upload."),
                           self->http_status,
                           soup_message_get_reason_phrase (up->msg) != NULL
                             ? soup_message_get_reason_phrase (up->msg) : ""));
}

static void read_answer (GTask *task);

static void
on_answer_read (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  GTask *task = data;
  Upload *up = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (n < 0)
    {
      /* The device reboots about 100 ms after its answer: a connection that
       * drops once the success text is in is the normal end. */
      if (!up->timed_out && !g_cancellable_is_cancelled (up->user_cancellable) &&
          up->self->http_status == SOUP_STATUS_OK && g_str_has_prefix (up->answer->str, SUCCESS_TEXT))
        {
          g_clear_error (&error);
          finish_answer (task);
          return;
        }
      fail_io (task, error);
      return;
    }
  if (n == 0)
    {
      finish_answer (task);
      return;
    }

  if (up->answer->len < MAX_RESPONSE)
    g_string_append_len (up->answer, (const char *) up->buf, MIN ((gsize) n, MAX_RESPONSE - up->answer->len));
  watchdog_arm (up, up->self->read_timeout_ms);
  read_answer (task);
}

static void
read_answer (GTask *task)
{
  Upload *up = g_task_get_task_data (task);

  g_input_stream_read_async (up->body, up->buf, sizeof up->buf, G_PRIORITY_DEFAULT,
                             up->op_cancellable, on_answer_read, task);
}

static void
handle_unauthorized (GTask *task)
{
  Upload *up = g_task_get_task_data (task);
  EspyWebOtaClient *self = up->self;

  if (self->user == NULL)
    {
      fail (task, g_error_new_literal (ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_AUTH_REQUIRED,
                                       _("The web server asks for a user name and password (`web_server: auth:` "
                                         "in the device's configuration). Enter them and try again.")));
      return;
    }

  /* Preemptive Basic was refused. Arduino devices also offer Digest: answer
   * it once; if that fails too, the credentials are wrong. */
  if (up->auth == AUTH_BASIC && espy_web_has_digest_challenge (up->msg))
    {
      attempt_start (task);
      return;
    }

  fail (task, g_error_new_literal (ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_WRONG_CREDENTIALS,
                                   _("The web server rejected the user name or password. Check "
                                     "`web_server: auth:` in the device's configuration.")));
}

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      data)
{
  GTask *task = data;
  Upload *up = g_task_get_task_data (task);
  EspyWebOtaClient *self = up->self;
  GError *error = NULL;
  GInputStream *body;

  body = soup_session_send_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      fail_io (task, error);
      return;
    }
  up->body = body;
  self->http_status = soup_message_get_status (up->msg);

  /* An answer before the whole body went out (a device that refuses early). */
  if (self->stage == ESPY_OTA_STAGE_UPLOAD || self->stage == ESPY_OTA_STAGE_CONNECT)
    set_stage (self, ESPY_OTA_STAGE_VERIFY);

  switch (self->http_status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
      handle_unauthorized (task);
      return;

    case SOUP_STATUS_NOT_FOUND:
    case SOUP_STATUS_METHOD_NOT_ALLOWED:
      fail (task, g_error_new_literal (ESPY_WEB_OTA_ERROR, ESPY_WEB_OTA_ERROR_NO_WEB_OTA,
                                       _("This device's web server does not accept firmware uploads (enable "
                                         "`ota: - platform: web_server` in its configuration, or use the "
                                         "native OTA instead).")));
      return;

    default:
      /* 200 carries both success and failure: the body tells. Other statuses
       * are reported after reading whatever text came with them. */
      watchdog_arm (up, self->read_timeout_ms);
      read_answer (task);
      return;
    }
}

static void
attempt_start (GTask *task)
{
  Upload *up = g_task_get_task_data (task);
  EspyWebOtaClient *self = up->self;
  g_autoptr(GUri) uri = NULL;
  g_autoptr(SoupMessage) previous = NULL;
  g_autoptr(GInputStream) stream = NULL;
  g_autofree char *authorization = NULL;
  SoupMessageHeaders *headers;
  goffset length;

  previous = g_steal_pointer (&up->msg);
  if (previous != NULL)
    g_signal_handlers_disconnect_by_data (previous, up);
  g_clear_object (&up->body);
  up->body_written = 0;
  up->progress_emitted = FALSE;
  self->bytes_sent = 0;
  g_string_truncate (up->answer, 0);
  self->http_status = 0;

  uri = g_uri_build (G_URI_FLAGS_NONE, "http", NULL, self->host, self->port, "/update", NULL, NULL);
  up->msg = soup_message_new_from_uri (SOUP_METHOD_POST, uri);
  /* A fresh connection each time: a device closes after every answer, and a
   * reused dead connection would fail the POST. */
  soup_message_add_flags (up->msg, SOUP_MESSAGE_NEW_CONNECTION | SOUP_MESSAGE_NO_REDIRECT);
  headers = soup_message_get_request_headers (up->msg);
  soup_message_headers_replace (headers, "Connection", "close");

  if (self->user == NULL)
    up->auth = AUTH_NONE;
  else if (previous == NULL)
    {
      up->auth = AUTH_BASIC;
      authorization = espy_web_basic_authorization (self->user, self->password);
    }
  else
    {
      up->auth = AUTH_DIGEST;
      authorization = espy_web_digest_authorization (previous, up->msg, self->user, self->password);
    }
  if (authorization != NULL)
    soup_message_headers_replace (headers, "Authorization", authorization);
  espy_secret_string_clear (&authorization);

  /* Part header, the image itself (not copied), closing boundary. */
  stream = g_memory_input_stream_new_from_bytes (up->head);
  g_memory_input_stream_add_bytes (G_MEMORY_INPUT_STREAM (stream), espy_firmware_image_get_bytes (up->image));
  g_memory_input_stream_add_bytes (G_MEMORY_INPUT_STREAM (stream), up->tail);
  length = (goffset) (g_bytes_get_size (up->head) + self->total + g_bytes_get_size (up->tail));
  soup_message_set_request_body (up->msg, up->content_type, stream, length);

  g_signal_connect (up->msg, "network-event", G_CALLBACK (on_network_event), up);
  g_signal_connect (up->msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data), up);
  g_signal_connect (up->msg, "wrote-body", G_CALLBACK (on_wrote_body), up);

  /* A second attempt shows as a second pass through CONNECT and UPLOAD. */
  self->stage = ESPY_OTA_STAGE_IDLE;
  set_stage (self, ESPY_OTA_STAGE_CONNECT);
  watchdog_arm (up, self->connect_timeout_ms);
  soup_session_send_async (up->session, up->msg, G_PRIORITY_DEFAULT, up->op_cancellable, on_sent, task);
}

static void
upload_start (GTask             *task,
              EspyFirmwareImage *image)
{
  Upload *up = g_task_get_task_data (task);
  EspyWebOtaClient *self = up->self;

  up->image = g_object_ref (image);
  self->total = espy_firmware_image_get_size (image);
  build_multipart (up, self->filename);
  up->session = espy_web_session_new ();
  attempt_start (task);
}

static GTask *
start_operation (EspyWebOtaClient    *self,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data,
                 gpointer             source_tag)
{
  GTask *task;
  Upload *up;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  if (self->busy)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("An upload to this device is already running."));
      g_object_unref (task);
      return NULL;
    }

  up = g_new0 (Upload, 1);
  up->self = self;
  up->answer = g_string_new (NULL);
  up->op_cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      up->user_cancellable = g_object_ref (cancellable);
      up->user_cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (on_user_cancelled),
                                                  up->op_cancellable, NULL);
    }
  g_task_set_task_data (task, up, upload_free);
  /* Our errors say what happened even when the user cancels as it fails. */
  g_task_set_check_cancellable (task, FALSE);

  self->busy = TRUE;
  self->stage = ESPY_OTA_STAGE_IDLE;
  self->failed_stage = ESPY_OTA_STAGE_IDLE;
  self->http_status = 0;
  self->bytes_sent = 0;
  self->total = 0;
  g_clear_pointer (&self->response, g_free);
  return task;
}

void
espy_web_ota_client_upload_async (EspyWebOtaClient    *self,
                                  EspyFirmwareImage   *image,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ESPY_IS_WEB_OTA_CLIENT (self));
  g_return_if_fail (ESPY_IS_FIRMWARE_IMAGE (image));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = start_operation (self, cancellable, callback, user_data, espy_web_ota_client_upload_async);
  if (task == NULL)
    return;
  if (g_cancellable_set_error_if_cancelled (cancellable, NULL))
    {
      fail (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The upload was cancelled.")));
      return;
    }
  upload_start (task, image);
}

static void
on_image_loaded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  GTask *task = data;
  Upload *up = g_task_get_task_data (task);
  g_autoptr(EspyFirmwareImage) image = NULL;
  GError *error = NULL;

  image = espy_firmware_image_load_finish (result, &error);
  if (image == NULL)
    {
      fail (task, error);
      return;
    }
  if (g_cancellable_is_cancelled (up->user_cancellable))
    {
      fail (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The upload was cancelled.")));
      return;
    }
  upload_start (task, image);
}

void
espy_web_ota_client_upload_file_async (EspyWebOtaClient    *self,
                                       GFile               *file,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ESPY_IS_WEB_OTA_CLIENT (self));
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* The same tag as upload_async: one _finish for both. */
  task = start_operation (self, cancellable, callback, user_data, espy_web_ota_client_upload_async);
  if (task == NULL)
    return;
  espy_firmware_image_load_async (file, cancellable, on_image_loaded, task);
}

gboolean
espy_web_ota_client_upload_finish (EspyWebOtaClient  *self,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  g_return_val_if_fail (ESPY_IS_WEB_OTA_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == espy_web_ota_client_upload_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- object ---------------------------------------------------------------- */

static void
espy_web_ota_client_finalize (GObject *object)
{
  EspyWebOtaClient *self = ESPY_WEB_OTA_CLIENT (object);

  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->user, g_free);
  espy_secret_string_clear (&self->password);
  g_clear_pointer (&self->filename, g_free);
  g_clear_pointer (&self->response, g_free);

  G_OBJECT_CLASS (espy_web_ota_client_parent_class)->finalize (object);
}

static void
espy_web_ota_client_class_init (EspyWebOtaClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = espy_web_ota_client_finalize;

  signals[SIGNAL_STAGE_CHANGED] =
    g_signal_new ("stage-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[SIGNAL_PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_UINT64);
}

static void
espy_web_ota_client_init (EspyWebOtaClient *self)
{
  self->port = ESPY_WEB_OTA_DEFAULT_PORT;
  self->filename = g_strdup (DEFAULT_FILENAME);
  self->connect_timeout_ms = ESPY_WEB_OTA_DEFAULT_CONNECT_TIMEOUT_MS;
  self->read_timeout_ms = ESPY_WEB_OTA_DEFAULT_READ_TIMEOUT_MS;
}

EspyWebOtaClient *
espy_web_ota_client_new (const char *host,
                         guint16     port)
{
  EspyWebOtaClient *self;

  g_return_val_if_fail (host != NULL && host[0] != '\0', NULL);

  self = g_object_new (ESPY_TYPE_WEB_OTA_CLIENT, NULL);
  self->host = g_strdup (host);
  self->port = port != 0 ? port : ESPY_WEB_OTA_DEFAULT_PORT;
  return self;
}

void
espy_web_ota_client_set_credentials (EspyWebOtaClient *self,
                                     const char       *user,
                                     const char       *password)
{
  g_return_if_fail (ESPY_IS_WEB_OTA_CLIENT (self));

  g_clear_pointer (&self->user, g_free);
  espy_secret_string_clear (&self->password);
  if (user != NULL && user[0] != '\0')
    {
      self->user = g_strdup (user);
      self->password = g_strdup (password != NULL ? password : "");
    }
}

void
espy_web_ota_client_set_timeouts (EspyWebOtaClient *self,
                                  guint             connect_ms,
                                  guint             read_ms)
{
  g_return_if_fail (ESPY_IS_WEB_OTA_CLIENT (self));

  self->connect_timeout_ms = connect_ms;
  self->read_timeout_ms = read_ms;
}

void
espy_web_ota_client_set_filename (EspyWebOtaClient *self,
                                  const char       *filename)
{
  g_return_if_fail (ESPY_IS_WEB_OTA_CLIENT (self));

  g_free (self->filename);
  self->filename = g_strdup (filename != NULL && filename[0] != '\0' ? filename : DEFAULT_FILENAME);
}

EspyOtaStage
espy_web_ota_client_get_stage (EspyWebOtaClient *self)
{
  g_return_val_if_fail (ESPY_IS_WEB_OTA_CLIENT (self), ESPY_OTA_STAGE_IDLE);
  return self->stage;
}

EspyOtaStage
espy_web_ota_client_get_failed_stage (EspyWebOtaClient *self)
{
  g_return_val_if_fail (ESPY_IS_WEB_OTA_CLIENT (self), ESPY_OTA_STAGE_IDLE);
  return self->failed_stage;
}

guint
espy_web_ota_client_get_http_status (EspyWebOtaClient *self)
{
  g_return_val_if_fail (ESPY_IS_WEB_OTA_CLIENT (self), 0);
  return self->http_status;
}

const char *
espy_web_ota_client_get_response (EspyWebOtaClient *self)
{
  g_return_val_if_fail (ESPY_IS_WEB_OTA_CLIENT (self), NULL);
  return self->response;
}

guint64
espy_web_ota_client_get_bytes_sent (EspyWebOtaClient *self)
{
  g_return_val_if_fail (ESPY_IS_WEB_OTA_CLIENT (self), 0);
  return self->bytes_sent;
}

guint64
espy_web_ota_client_get_total (EspyWebOtaClient *self)
{
  g_return_val_if_fail (ESPY_IS_WEB_OTA_CLIENT (self), 0);
  return self->total;
}
